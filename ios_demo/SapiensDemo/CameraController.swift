import AVFoundation

/// The camera: one AVCaptureSession delivering upright 32BGRA frames to `onFrame` on its own queue.
///
/// `onFrame` runs the model synchronously on that queue; while it is busy AVFoundation drops the
/// frames that arrive (`alwaysDiscardsLateVideoFrames`), so inference never builds a queue.
final class CameraController: NSObject, AVCaptureVideoDataOutputSampleBufferDelegate {
    let session = AVCaptureSession()
    /// Set before `start`; called on the frame queue.
    var onFrame: ((CVPixelBuffer) -> Void)?
    private let output = AVCaptureVideoDataOutput()
    private let sessionQueue = DispatchQueue(label: "sapiens.camera.session")
    private let frameQueue = DispatchQueue(label: "sapiens.camera.frames", qos: .userInitiated)

    /// Start (or switch to) the camera at `position`.
    func start(position: AVCaptureDevice.Position) {
        sessionQueue.async { [self] in
            configure(position: position)
            if !session.isRunning {
                session.startRunning()
            }
        }
    }

    private func configure(position: AVCaptureDevice.Position) {
        session.beginConfiguration()
        defer { session.commitConfiguration() }
        session.sessionPreset = .hd1280x720
        for input in session.inputs {
            session.removeInput(input)
        }
        guard let device = AVCaptureDevice.default(.builtInWideAngleCamera, for: .video, position: position),
              let input = try? AVCaptureDeviceInput(device: device), session.canAddInput(input)
        else { return }
        session.addInput(input)
        if session.outputs.isEmpty {
            output.videoSettings = [kCVPixelBufferPixelFormatTypeKey as String: kCVPixelFormatType_32BGRA]
            output.alwaysDiscardsLateVideoFrames = true
            output.setSampleBufferDelegate(self, queue: frameQueue)
            if session.canAddOutput(output) {
                session.addOutput(output)
            }
        }
        if let connection = output.connection(with: .video) {
            if connection.isVideoRotationAngleSupported(90) {
                connection.videoRotationAngle = 90  // portrait frames, as the preview shows them
            }
            if connection.isVideoMirroringSupported {
                // Mirror the front camera's frames as its preview is mirrored, so overlays line up.
                connection.automaticallyAdjustsVideoMirroring = false
                connection.isVideoMirrored = position == .front
            }
        }
    }

    func captureOutput(_ output: AVCaptureOutput, didOutput sampleBuffer: CMSampleBuffer,
                       from connection: AVCaptureConnection) {
        guard let frame = CMSampleBufferGetImageBuffer(sampleBuffer) else { return }
        onFrame?(frame)
    }
}
