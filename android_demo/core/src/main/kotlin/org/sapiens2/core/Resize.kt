package org.sapiens2.core

import kotlin.math.floor

/** The OpenCV interpolations the Sapiens2 pre-processing uses. */
enum class Interpolation { LINEAR, CUBIC, AREA }

/**
 * OpenCV's `cv2.resize` for 8-bit images: OpenCV's source offsets and kernel weights (bilinear,
 * bicubic a = -0.75, and its bilinear emulation of INTER_AREA when a scale is below 1), applied in
 * float32 rows then columns and rounded half to even. OpenCV's vector kernels round some pixels the
 * other way, so results agree within one grey level (bicubic mostly exactly); true pixel-area
 * averaging (both scales >= 1) is `AreaResize`.
 */
object Resize {
    /** `src` resized into `dst` (reused between frames when the caller keeps it). */
    fun resize(src: Image, width: Int, height: Int, interpolation: Interpolation, dst: Image = Image(width, height)): Image {
        require(dst.width == width && dst.height == height) { "output image must be ${width}x$height" }
        val scaleX = src.width.toDouble() / width
        val scaleY = src.height.toDouble() / height
        if (interpolation == Interpolation.AREA && scaleX >= 1 && scaleY >= 1) {
            return AreaResize.resize(src, dst)
        }
        val xTaps = taps(width, src.width, scaleX, interpolation)
        val yTaps = taps(height, src.height, scaleY, interpolation)
        val sums = FloatArray(Image.CHANNELS)
        val size = xTaps.size
        for (dy in 0 until height) for (dx in 0 until width) {
            sums.fill(0f)
            for (j in 0 until size) {
                val sy = clamp(yTaps.offset[dy] + j - size / 2 + 1, src.height)
                for (c in 0 until Image.CHANNELS) {
                    var row = 0f
                    for (i in 0 until size) {
                        row += src.get(clamp(xTaps.offset[dx] + i - size / 2 + 1, src.width), sy, c) * xTaps.weight[dx * size + i]
                    }
                    sums[c] += row * yTaps.weight[dy * size + j]
                }
            }
            for (c in 0 until Image.CHANNELS) dst.set(dx, dy, c, clampToByte(roundHalfEven(sums[c].toDouble())))
        }
        return dst
    }

    private class Taps(val size: Int, val offset: IntArray, val weight: FloatArray)

    /** Source offsets and weights per destination index, OpenCV's `resizeGeneric` table. */
    private fun taps(dstSize: Int, srcSize: Int, scale: Double, interpolation: Interpolation): Taps {
        val size = if (interpolation == Interpolation.CUBIC) 4 else 2
        val offset = IntArray(dstSize)
        val weight = FloatArray(dstSize * size)
        val inverse = 1.0 / scale
        val coefficients = FloatArray(size)
        for (d in 0 until dstSize) {
            var s: Int
            var f: Float
            if (interpolation == Interpolation.AREA) {
                s = floor(d * scale).toInt()
                f = ((d + 1) - (s + 1) * inverse).toFloat()
                f = if (f <= 0f) 0f else f - floor(f)
            } else {
                f = ((d + 0.5) * scale - 0.5).toFloat()
                s = floor(f).toInt()
                f -= s
            }
            if (interpolation != Interpolation.CUBIC) {
                if (s < 0) { f = 0f; s = 0 }
                if (s >= srcSize - 1) { f = 0f; s = srcSize - 1 }
                coefficients[0] = 1f - f
                coefficients[1] = f
            } else {
                cubicCoefficients(f, coefficients)
            }
            offset[d] = s
            for (k in 0 until size) weight[d * size + k] = coefficients[k]
        }
        return Taps(size, offset, weight)
    }

    private fun clamp(index: Int, size: Int): Int = if (index < 0) 0 else if (index >= size) size - 1 else index
}

/** OpenCV's bicubic kernel (a = -0.75) at fractional offset `x`, in float like `interpolateCubic`. */
internal fun cubicCoefficients(x: Float, out: FloatArray) {
    val a = -0.75f
    out[0] = ((a * (x + 1) - 5 * a) * (x + 1) + 8 * a) * (x + 1) - 4 * a
    out[1] = ((a + 2) * x - (a + 3)) * x * x + 1
    out[2] = ((a + 2) * (1 - x) - (a + 3)) * (1 - x) * (1 - x) + 1
    out[3] = 1f - out[0] - out[1] - out[2]
}
