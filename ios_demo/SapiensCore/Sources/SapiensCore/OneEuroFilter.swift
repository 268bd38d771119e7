import Foundation

/// One-Euro parameters: `minCutoff` (Hz) smooths at rest, `beta` (Hz per unit/s of speed) raises the
/// cut-off with speed, `dCutoff` (Hz) smooths the speed estimate itself.
public struct OneEuroParams: Equatable {
    public let minCutoff: Double
    public let beta: Double
    public let dCutoff: Double

    public init(minCutoff: Double = 1, beta: Double = 0, dCutoff: Double = 1) {
        precondition(minCutoff > 0 && dCutoff > 0 && beta >= 0, "One-Euro cut-offs must be positive and beta non-negative")
        self.minCutoff = minCutoff
        self.beta = beta
        self.dCutoff = dCutoff
    }
}

/// Exponential smoothing weight of a first-order low-pass at `cutoff` Hz over `dt` seconds.
public func smoothingFactor(cutoff: Double, dt: Double) -> Double {
    let tau = 1.0 / (2.0 * Double.pi * cutoff)
    return 1.0 / (1.0 + tau / dt)
}

/// The One-Euro filter (Casiez, Roussel and Vogel, CHI 2012) over a fixed number of values, each with
/// its own parameters: a low-pass whose cut-off rises with speed, so jitter at rest is smoothed hard
/// and fast motion passes with little lag. Driven by timestamps, so it behaves the same at any frame
/// rate and across dropped frames. The SDK's `processing/one_euro.py`, in double precision.
public struct OneEuroFilter {
    private let params: [OneEuroParams]
    private var value: [Double]?
    private var speed: [Double]
    private var time: TimeInterval = 0

    public init(params: [OneEuroParams]) {
        self.params = params
        speed = Array(repeating: 0, count: params.count)
    }

    /// Forget the history: the next sample passes through unchanged.
    public mutating func reset() {
        value = nil
    }

    /// The filtered `sample` at `timestamp` seconds. `speedScale` divides the speed before `beta` (the
    /// person's box height in pixels, so that `beta` does not depend on the image size). A sample not
    /// after the previous one returns the previous output and changes nothing.
    public mutating func filter(_ sample: [Double], at timestamp: TimeInterval, speedScale: Double = 1) -> [Double] {
        precondition(sample.count == params.count, "expected \(params.count) values, got \(sample.count)")
        guard var filtered = value else {
            value = sample
            speed = Array(repeating: 0, count: params.count)
            time = timestamp
            return sample
        }
        let dt = timestamp - time
        if dt <= 0 {
            return filtered
        }
        for index in sample.indices {
            let p = params[index]
            let speedWeight = smoothingFactor(cutoff: p.dCutoff, dt: dt)
            speed[index] = speedWeight * ((sample[index] - filtered[index]) / dt) + (1.0 - speedWeight) * speed[index]
            let weight = smoothingFactor(cutoff: p.minCutoff + p.beta * abs(speed[index]) / speedScale, dt: dt)
            filtered[index] = weight * sample[index] + (1.0 - weight) * filtered[index]
        }
        value = filtered
        time = timestamp
        return filtered
    }
}
