import Foundation

/// Events per second over a sliding window of the latest event times (the HUD's frames/s).
public struct RateMeter {
    public let window: Int
    private var times: [TimeInterval] = []

    public init(window: Int = 30) {
        precondition(window >= 2, "a rate needs at least two events")
        self.window = window
    }

    /// Record an event at `time` seconds (any monotonic clock).
    public mutating func record(_ time: TimeInterval) {
        times.append(time)
        if times.count > window {
            times.removeFirst(times.count - window)
        }
    }

    /// Events per second between the oldest and newest recorded events; nil until two are recorded.
    public var rate: Double? {
        guard let first = times.first, let last = times.last, last > first else { return nil }
        return Double(times.count - 1) / (last - first)
    }
}
