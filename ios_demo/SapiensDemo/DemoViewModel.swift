import AVFoundation
import Foundation
import SapiensCore

/// The demo's state: which bundle runs on which compute units and camera, and the latest result.
@MainActor
final class DemoViewModel: ObservableObject {
    @Published var task: String = ModelIO.poseTask {
        didSet { loadBundle() }
    }
    @Published var computeUnits: ComputeUnitChoice = .all {
        didSet { loadBundle() }
    }
    @Published private(set) var cameraPosition: AVCaptureDevice.Position = .back
    @Published private(set) var result: FrameResult?
    @Published private(set) var framesPerSecond: Double?
    @Published private(set) var activeBundle: ModelBundle?
    @Published private(set) var message: String?

    let camera = CameraController()
    private let slot = ProcessorSlot()
    private var bundles: [ModelBundle] = []
    private var meter = RateMeter()
    private var loading: Task<Void, Never>?

    func start() async {
        guard await AVCaptureDevice.requestAccess(for: .video) else {
            message = "camera access denied: allow it in Settings"
            return
        }
        let found = ModelBundle.discover()
        bundles = found.bundles
        if let problem = found.problems.first {
            message = problem
        }
        camera.onFrame = Self.frameHandler(slot: slot, owner: self)
        camera.start(position: cameraPosition)
        if let first = bundles.first(where: { $0.manifest.task == task }) {
            // The manifest's compute units are the default; setting them loads the bundle (didSet).
            computeUnits = ComputeUnitChoice(manifestValue: first.manifest.runtime.settings.computeUnits)
        } else {
            loadBundle()
        }
    }

    func switchCamera() {
        cameraPosition = cameraPosition == .back ? .front : .back
        result = nil
        camera.start(position: cameraPosition)
    }

    /// Open the bundle for the chosen task on the chosen compute units (off the main thread).
    private func loadBundle() {
        slot.current = nil
        result = nil
        meter = RateMeter()
        framesPerSecond = nil
        loading?.cancel()
        guard let bundle = bundles.first(where: { $0.manifest.task == task }) else {
            activeBundle = nil
            message = "no \(task) bundle in the app: see ios_demo/README.md, Adding a bundle"
            return
        }
        let units = computeUnits.units
        message = "loading \(bundle.name)..."
        loading = Task {
            do {
                let model = try await bundle.loadModel(computeUnits: units)
                guard !Task.isCancelled else { return }
                slot.current = try FrameProcessor(bundle: bundle, model: model)
                activeBundle = bundle
                message = bundle.manifest.randomWeights ? "random weights: the overlay means nothing" : nil
            } catch {
                message = "\(bundle.name): \(error)"
            }
        }
    }

    /// Runs on the camera queue: the current processor on the frame, the outcome handed to the main actor.
    private nonisolated static func frameHandler(slot: ProcessorSlot, owner: DemoViewModel) -> (CVPixelBuffer) -> Void {
        return { [weak owner] frame in
            guard let processor = slot.current, let owner else { return }
            let outcome = Result { try processor.process(frame) }
            let time = ProcessInfo.processInfo.systemUptime
            Task { @MainActor in
                owner.show(outcome, at: time)
            }
        }
    }

    private func show(_ outcome: Result<FrameResult, Error>, at time: TimeInterval) {
        switch outcome {
        case .success(let frame):
            guard frame.bundle.id == activeBundle?.id else { return }  // a frame of the bundle just replaced
            result = frame
            meter.record(time)
            framesPerSecond = meter.rate
        case .failure(let error):
            message = "\(error)"
        }
    }
}
