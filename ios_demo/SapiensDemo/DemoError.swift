import Foundation

/// A problem the demo shows the user as one line in the HUD.
struct DemoError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
