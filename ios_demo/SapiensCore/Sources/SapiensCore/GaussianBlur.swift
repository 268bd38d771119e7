import Foundation

/// OpenCV's GaussianBlur of a float32 map over a zero border, as the SDK's DARK refinement uses it.
///
/// The SDK pads each map with (size - 1) / 2 zeros before blurring, so the kept pixels never see
/// OpenCV's own border rule: blurring with zeros outside is the same thing.
public enum GaussianBlur {
    /// OpenCV's getGaussianKernel(size, 0) as float32: sigma = 0.3 ((size - 1) / 2 - 1) + 0.8.
    public static func kernel(size: Int) -> [Float] {
        let sigma = 0.3 * (Double(size - 1) * 0.5 - 1) + 0.8
        let half = Double(size - 1) * 0.5
        let weights = (0..<size).map { i -> Double in
            let x = Double(i) - half
            return exp(-(x * x) / (2 * sigma * sigma))
        }
        let sum = weights.reduce(0, +)
        return weights.map { Float($0 / sum) }
    }

    /// The `width` x `height` map blurred by a `size` x `size` kernel, rows first then columns.
    public static func blurred(_ map: ArraySlice<Float>, width: Int, height: Int, size: Int) -> [Float] {
        let weights = kernel(size: size)
        let radius = (size - 1) / 2
        let source = Array(map)
        var rows = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for (j, weight) in weights.enumerated() {
                    let column = x + j - radius
                    if column >= 0 && column < width {
                        sum += weight * source[y * width + column]
                    }
                }
                rows[y * width + x] = sum
            }
        }
        var result = [Float](repeating: 0, count: width * height)
        for y in 0..<height {
            for x in 0..<width {
                var sum: Float = 0
                for (j, weight) in weights.enumerated() {
                    let row = y + j - radius
                    if row >= 0 && row < height {
                        sum += weight * rows[row * width + x]
                    }
                }
                result[y * width + x] = sum
            }
        }
        return result
    }
}
