import SapiensCore
import SwiftUI

/// Camera preview with the live overlay, the HUD, and the pose/seg, compute-unit and camera switches.
struct ContentView: View {
    @StateObject private var model = DemoViewModel()

    var body: some View {
        ZStack {
            CameraPreview(session: model.camera.session)
                .ignoresSafeArea()
            if let result = model.result {
                OverlayView(result: result)
                    .ignoresSafeArea()
            }
            VStack {
                HUDView(framesPerSecond: model.framesPerSecond, latency: model.result?.latency,
                        bundle: model.activeBundle, computeUnits: model.computeUnits, message: model.message)
                Spacer()
                controls
            }
            .padding()
        }
        .background(Color.black)
        .task {
            await model.start()
        }
    }

    private var controls: some View {
        VStack(spacing: 12) {
            Picker("Task", selection: $model.task) {
                Text("Pose").tag(ModelIO.poseTask)
                Text("Segmentation").tag(ModelIO.segTask)
            }
            .pickerStyle(.segmented)
            HStack {
                Picker("Compute units", selection: $model.computeUnits) {
                    ForEach(ComputeUnitChoice.allCases) { choice in
                        Text(choice.rawValue).tag(choice)
                    }
                }
                .pickerStyle(.segmented)
                Button {
                    model.switchCamera()
                } label: {
                    Image(systemName: "arrow.triangle.2.circlepath.camera")
                        .font(.title2)
                }
                .accessibilityLabel("Switch camera")
            }
        }
        .padding()
        .background(.ultraThinMaterial, in: RoundedRectangle(cornerRadius: 12))
    }
}
