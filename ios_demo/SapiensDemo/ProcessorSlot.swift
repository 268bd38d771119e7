import Foundation

/// The current frame processor: replaced on the main thread, read on the camera queue.
final class ProcessorSlot {
    private let lock = NSLock()
    private var processor: FrameProcessor?

    var current: FrameProcessor? {
        get {
            lock.lock()
            defer { lock.unlock() }
            return processor
        }
        set {
            lock.lock()
            processor = newValue
            lock.unlock()
        }
    }
}
