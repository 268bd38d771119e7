package org.sapiens2.core

import kotlin.math.floor

/**
 * OpenCV's `cv2.warpAffine` (OpenCV 5, the SDK's) for 8-bit images with a constant black border:
 * the inverse map, bilinear lerps and bicubic weights (rows then columns) in float32, rounded half
 * to even; bit-identical to OpenCV on the golden crops. INTER_AREA is not a warp
 * interpolation in OpenCV; it falls back to bilinear, and so does this.
 */
object AffineWarp {
    /** The crop of `src` under `matrix` (2 x 3, image -> output, row-major), into `dst` (reused between frames). */
    fun warp(src: Image, matrix: FloatArray, width: Int, height: Int, interpolation: Interpolation, dst: Image = Image(width, height)): Image {
        require(matrix.size == 6) { "an affine matrix has 6 entries, got ${matrix.size}" }
        require(dst.width == width && dst.height == height) { "output image must be ${width}x$height" }
        val inverse = invert(DoubleArray(6) { matrix[it].toDouble() }).map { it.toFloat() }
        val taps = if (interpolation == Interpolation.CUBIC) 4 else 2
        val wx = FloatArray(4)
        val wy = FloatArray(4)
        val sums = FloatArray(Image.CHANNELS)
        for (y in 0 until height) for (x in 0 until width) {
            val sx = inverse[0] * x + inverse[1] * y + inverse[2]
            val sy = inverse[3] * x + inverse[4] * y + inverse[5]
            val x0 = floor(sx).toInt()
            val y0 = floor(sy).toInt()
            if (taps == 2) {
                lerp2d(src, x0, y0, sx - x0, sy - y0, sums)
            } else {
                cubicCoefficients(sx - x0, wx)
                cubicCoefficients(sy - y0, wy)
                sums.fill(0f)
                for (j in 0 until 4) for (c in 0 until Image.CHANNELS) {
                    var row = 0f
                    for (i in 0 until 4) row += sample(src, x0 + i - 1, y0 + j - 1, c) * wx[i]
                    sums[c] += row * wy[j]
                }
            }
            for (c in 0 until Image.CHANNELS) dst.set(x, y, c, clampToByte(roundHalfEven(sums[c].toDouble())))
        }
        return dst
    }

    /**
     * Bilinear as OpenCV 5 computes it: two lerps along x, then one along y, each `a + (b - a) f` a
     * fused multiply-add (one rounding; done in double, exact for these operands, then to float).
     */
    private fun lerp2d(src: Image, x0: Int, y0: Int, fx: Float, fy: Float, out: FloatArray) {
        for (c in 0 until Image.CHANNELS) {
            val top = lerp(sample(src, x0, y0, c), sample(src, x0 + 1, y0, c), fx)
            val bottom = lerp(sample(src, x0, y0 + 1, c), sample(src, x0 + 1, y0 + 1, c), fx)
            out[c] = lerp(top, bottom, fy)
        }
    }

    private fun lerp(a: Float, b: Float, f: Float): Float = (a + (b - a).toDouble() * f).toFloat()

    private fun sample(src: Image, x: Int, y: Int, channel: Int): Float =
        if (x < 0 || y < 0 || x >= src.width || y >= src.height) 0f else src.get(x, y, channel).toFloat()

    /** Inverse of a 2 x 3 affine matrix in double, as `cv::invertAffineTransform`. */
    internal fun invert(m: DoubleArray): DoubleArray {
        var det = m[0] * m[4] - m[1] * m[3]
        det = if (det != 0.0) 1.0 / det else 0.0
        val a11 = m[4] * det
        val a22 = m[0] * det
        val a12 = -m[1] * det
        val a21 = -m[3] * det
        return doubleArrayOf(a11, a12, -a11 * m[2] - a12 * m[5], a21, a22, -a21 * m[2] - a22 * m[5])
    }
}
