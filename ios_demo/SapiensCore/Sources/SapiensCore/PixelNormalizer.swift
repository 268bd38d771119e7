import Foundation

/// `(x - mean) / std` per RGB channel on 0...255 pixels, for bundles whose graph does not normalise.
///
/// Core ML bundles normalise in the graph (`inputs[0].normalization.in_graph`); this port keeps the
/// SDK's order of operations (float32 cast, then subtract, then divide) so it is bit-identical.
public struct PixelNormalizer {
    public let mean: SIMD3<Float>
    public let std: SIMD3<Float>

    public init(mean: [Double], std: [Double]) {
        self.mean = SIMD3(Float(mean[0]), Float(mean[1]), Float(mean[2]))
        self.std = SIMD3(Float(std[0]), Float(std[1]), Float(std[2]))
    }

    /// Interleaved H x W x 3 BGR bytes -> planar 3 x H x W float32, channels RGB.
    public func planarRGB(bgr pixels: [UInt8], width: Int, height: Int) -> [Float] {
        let plane = width * height
        var planar = [Float](repeating: 0, count: 3 * plane)
        for index in 0..<plane {
            for channel in 0..<3 {
                let value = Float(pixels[3 * index + 2 - channel])
                planar[channel * plane + index] = (value - mean[channel]) / std[channel]
            }
        }
        return planar
    }
}
