import SwiftUI

@main
struct SapiensDemoApp: App {
    var body: some Scene {
        WindowGroup {
            ContentView()
        }
    }
}
