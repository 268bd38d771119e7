import Foundation

/// The UDP heatmap codec's decoder: argmax, DARK-UDP sub-pixel refinement, and the codec's input frame.
///
/// A port of `sapiens2.processing.heatmaps`. A bundle compiled with `--decode beside` already
/// holds the integer peaks and scores (`maxima`'s result) beside the heatmaps; the app refines them.
public enum HeatmapDecoder {
    /// No peak: the map has no positive value.
    public static let missing = SIMD2<Float>(-1, -1)
    static let logClip: (Float, Float) = (1e-3, 50)

    /// Integer peak (x, y) of each map (first maximum in row-major order) and its raw value;
    /// `missing` where the maximum is <= 0.
    public static func maxima(_ heatmaps: Heatmaps) -> (peaks: [SIMD2<Float>], scores: [Float]) {
        var peaks: [SIMD2<Float>] = []
        var scores: [Float] = []
        for k in 0..<heatmaps.count {
            let map = heatmaps.map(k)
            var best = map.startIndex
            for index in map.indices where map[index] > map[best] {
                best = index
            }
            let offset = best - map.startIndex
            let score = map[best]
            scores.append(score)
            if score <= 0 {
                peaks.append(missing)
            } else {
                peaks.append(SIMD2(Float(offset % heatmaps.width), Float(offset / heatmaps.width)))
            }
        }
        return (peaks, scores)
    }

    /// log of each map blurred (zero border, rescaled to the map's own maximum) and clipped to [1e-3, 50].
    static func logBlurred(_ heatmaps: Heatmaps, map k: Int, kernelSize: Int) -> [Float] {
        let map = heatmaps.map(k)
        let smooth = GaussianBlur.blurred(map, width: heatmaps.width, height: heatmaps.height, size: kernelSize)
        let ratio = map.max()! / smooth.max()!
        return smooth.map { log(min(max($0 * ratio, logClip.0), logClip.1)) }
    }

    /// One Newton step on the log of the blurred map from each integer peak: p - (H + eps I)^-1 g.
    ///
    /// Derivatives are central differences with the map's edge repeated; `missing` peaks stay as they are.
    public static func refineDarkUDP(peaks: [SIMD2<Float>], heatmaps: Heatmaps, kernelSize: Int) -> [SIMD2<Float>] {
        var refined: [SIMD2<Float>] = []
        for (k, peak) in peaks.enumerated() {
            refined.append(peak.x >= 0 ? newtonStep(from: peak, heatmaps: heatmaps, map: k, kernelSize: kernelSize) : peak)
        }
        return refined
    }

    static func newtonStep(from peak: SIMD2<Float>, heatmaps: Heatmaps, map k: Int, kernelSize: Int) -> SIMD2<Float> {
        let width = heatmaps.width
        let height = heatmaps.height
        let f = logBlurred(heatmaps, map: k, kernelSize: kernelSize)
        func at(_ dx: Int, _ dy: Int) -> Float {
            let x = min(max(Int(peak.x) + dx, 0), width - 1)
            let y = min(max(Int(peak.y) + dy, 0), height - 1)
            return f[y * width + x]
        }
        let centre = at(0, 0)
        let right = at(1, 0)
        let left = at(-1, 0)
        let down = at(0, 1)
        let up = at(0, -1)
        let gx = Float(0.5) * (right - left)
        let gy = Float(0.5) * (down - up)
        let dxx = right - 2 * centre + left
        let dyy = down - 2 * centre + up
        // Summed term by term in the SDK's order so that float32 rounding matches.
        var sum = at(1, 1) - right
        sum = sum - down
        sum = sum + centre
        sum = sum + centre
        sum = sum - left
        sum = sum - up
        sum = sum + at(-1, -1)
        let dxy = Float(0.5) * sum
        let eps = Double(Float.ulpOfOne)
        let hxx = Double(dxx) + eps
        let hyy = Double(dyy) + eps
        let hxy = Double(dxy)
        let determinant = hxx * hyy - hxy * hxy
        let stepX = (hyy * Double(gx) - hxy * Double(gy)) / determinant
        let stepY = (hxx * Double(gy) - hxy * Double(gx)) / determinant
        return SIMD2<Float>(Float(Double(peak.x) - stepX), Float(Double(peak.y) - stepY))
    }

    /// Heatmap coordinates -> the codec's input frame: p x input_size / (heatmap_size - 1).
    public static func toInputFrame(_ point: SIMD2<Float>, heatmapWidth: Int, heatmapHeight: Int,
                                    inputWidth: Int, inputHeight: Int) -> SIMD2<Float> {
        let x = Double(point.x) / Double(heatmapWidth - 1) * Double(inputWidth)
        let y = Double(point.y) / Double(heatmapHeight - 1) * Double(inputHeight)
        return SIMD2<Float>(Float(x), Float(y))
    }

    /// Keypoints in the codec's input frame and raw scores of one instance's heatmaps (argmax + DARK).
    public static func decode(_ heatmaps: Heatmaps, inputWidth: Int, inputHeight: Int,
                              kernelSize: Int) -> (keypoints: [SIMD2<Float>], scores: [Float]) {
        let (peaks, scores) = maxima(heatmaps)
        let refined = refineDarkUDP(peaks: peaks, heatmaps: heatmaps, kernelSize: kernelSize)
        let keypoints = refined.map {
            toInputFrame($0, heatmapWidth: heatmaps.width, heatmapHeight: heatmaps.height,
                         inputWidth: inputWidth, inputHeight: inputHeight)
        }
        return (keypoints, scores)
    }
}
