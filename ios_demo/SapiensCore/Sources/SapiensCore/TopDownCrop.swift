import Foundation

/// One person's top-down crop: box centre and padded, aspect-fixed size, and the model input size.
///
/// The SDK's `sapiens2.processing.TopdownCrop`, computed in float32 in the same order so that the
/// UDP matrix is bit-identical; the box padding and aspect ratio come from the bundle manifest
/// (`inputs[0].resize`).
public struct TopDownCrop: Equatable {
    public let center: SIMD2<Float>
    public let scale: SIMD2<Float>
    public let inputWidth: Int
    public let inputHeight: Int

    public init(center: SIMD2<Float>, scale: SIMD2<Float>, inputWidth: Int, inputHeight: Int) {
        self.center = center
        self.scale = scale
        self.inputWidth = inputWidth
        self.inputHeight = inputHeight
    }

    /// The crop of box (x1, y1, x2, y2): centre, size times `padding`, short side enlarged to the input's w/h.
    public init(box: SIMD4<Float>, inputWidth: Int, inputHeight: Int, padding: Float) {
        let center = SIMD2<Float>((box.x + box.z) * 0.5, (box.y + box.w) * 0.5)
        let padded = SIMD2<Float>(box.z - box.x, box.w - box.y) * padding
        let aspect = Float(Double(inputWidth) / Double(inputHeight))
        let scale: SIMD2<Float>
        if padded.x > padded.y * aspect {
            scale = SIMD2(padded.x, padded.x / aspect)
        } else {
            scale = SIMD2(padded.y * aspect, padded.y)
        }
        self.init(center: center, scale: scale, inputWidth: inputWidth, inputHeight: inputHeight)
    }

    /// The crop of a whole `width` x `height` frame (the manifest's `no_box` rule: box [0, 0, W-1, H-1]).
    public init(frameWidth: Int, frameHeight: Int, inputWidth: Int, inputHeight: Int, padding: Float) {
        let box = SIMD4<Float>(0, 0, Float(frameWidth - 1), Float(frameHeight - 1))
        self.init(box: box, inputWidth: inputWidth, inputHeight: inputHeight, padding: padding)
    }

    /// The UDP affine map image -> crop: [c - s/2, c + s/2] onto [0, W_in - 1] x [0, H_in - 1].
    public var matrix: Affine2D {
        let sx = Float(inputWidth - 1) / scale.x
        let sy = Float(inputHeight - 1) / scale.y
        let tx = sx * (-center.x + Float(0.5) * scale.x)
        let ty = sy * (-center.y + Float(0.5) * scale.y)
        return Affine2D(a: Double(sx), b: 0, tx: Double(tx), c: 0, d: Double(sy), ty: Double(ty))
    }

    /// Whether the crop shrinks the image (the SDK then resamples with INTER_AREA, else INTER_CUBIC).
    public var isShrinking: Bool {
        let map = matrix
        return min(map.a, map.d) < 1
    }

    /// Image pixels -> crop pixels.
    public func imageToCrop(_ point: SIMD2<Float>) -> SIMD2<Float> {
        SIMD2<Float>(matrix.apply(SIMD2<Double>(point)))
    }

    /// Crop pixels -> image pixels (the exact inverse of `imageToCrop`).
    public func cropToImage(_ point: SIMD2<Float>) -> SIMD2<Float> {
        // The UDP matrix is diagonal with positive scales, hence always invertible.
        SIMD2<Float>(matrix.inverse!.apply(SIMD2<Double>(point)))
    }

    /// Decoded keypoints (in the codec's input frame, where the box spans [0, W_in]) -> image pixels.
    public func keypointToImage(_ keypoint: SIMD2<Float>) -> SIMD2<Float> {
        let size = SIMD2<Double>(Double(inputWidth), Double(inputHeight))
        let scale = SIMD2<Double>(self.scale)
        let scaled = SIMD2<Double>(keypoint) / size * scale
        let image = scaled + SIMD2<Double>(center) - 0.5 * scale
        return SIMD2<Float>(image)
    }
}
