import Foundation

/// A 2 x 3 affine map of pixel points: `x' = a x + b y + tx`, `y' = c x + d y + ty`.
///
/// Points follow OpenCV: x right, y down, pixel centres on integer coordinates. Computed in
/// Double, like the SDK's point mapping, so mapped points agree with it to float32 rounding.
public struct Affine2D: Equatable {
    public var a: Double
    public var b: Double
    public var tx: Double
    public var c: Double
    public var d: Double
    public var ty: Double

    public init(a: Double, b: Double, tx: Double, c: Double, d: Double, ty: Double) {
        self.a = a
        self.b = b
        self.tx = tx
        self.c = c
        self.d = d
        self.ty = ty
    }

    /// The image of `point` under this map.
    public func apply(_ point: SIMD2<Double>) -> SIMD2<Double> {
        SIMD2(a * point.x + b * point.y + tx, c * point.x + d * point.y + ty)
    }

    /// The inverse map (as OpenCV's invertAffineTransform); a singular map has none.
    public var inverse: Affine2D? {
        let determinant = a * d - b * c
        guard determinant != 0 else { return nil }
        let ia = d / determinant
        let ib = -b / determinant
        let ic = -c / determinant
        let id = a / determinant
        return Affine2D(a: ia, b: ib, tx: -(ia * tx + ib * ty), c: ic, d: id, ty: -(ic * tx + id * ty))
    }

    /// The same map between bottom-left-origin coordinates whose pixels span [i, i + 1]
    /// (Core Image's), for a source `sourceHeight` and a destination `destinationHeight` pixels tall.
    ///
    /// A pixel centre (x, y) of the top-left convention sits at (x + 0.5, height - y - 0.5) there.
    public func bottomLeftOrigin(sourceHeight: Int, destinationHeight: Int) -> Affine2D {
        let hs = Double(sourceHeight) - 0.5
        let hd = Double(destinationHeight) - 0.5
        return Affine2D(
            a: a,
            b: -b,
            tx: tx + 0.5 - 0.5 * a + b * hs,
            c: -c,
            d: d,
            ty: hd - ty + 0.5 * c - d * hs
        )
    }
}
