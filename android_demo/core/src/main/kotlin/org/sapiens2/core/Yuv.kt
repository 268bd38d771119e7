package org.sapiens2.core

/**
 * A camera frame in YUV 4:2:0 (Android's YUV_420_888: any row and pixel strides) -> an upright RGB
 * image, rotated clockwise by `rotationDegrees` (CameraX's `imageInfo.rotationDegrees`). BT.601
 * limited range, the camera's colour space, in 10-bit fixed point.
 */
object Yuv {
    class Plane(val data: ByteArray, val rowStride: Int, val pixelStride: Int)

    /** Convert into `out` (reused between frames); its size must be the rotated frame's. */
    fun toRgb(width: Int, height: Int, y: Plane, u: Plane, v: Plane, rotationDegrees: Int, out: Image): Image {
        val rotated = rotationDegrees == 90 || rotationDegrees == 270
        require(rotationDegrees in setOf(0, 90, 180, 270)) { "rotation must be 0, 90, 180 or 270, got $rotationDegrees" }
        require(out.width == (if (rotated) height else width) && out.height == (if (rotated) width else height)) {
            "output must be the rotated frame's size"
        }
        for (row in 0 until height) for (col in 0 until width) {
            val luma = (y.data[row * y.rowStride + col * y.pixelStride].toInt() and 0xFF) - 16
            val chromaIndex = (row / 2) * u.rowStride + (col / 2) * u.pixelStride
            val cb = (u.data[chromaIndex].toInt() and 0xFF) - 128
            val cr = (v.data[(row / 2) * v.rowStride + (col / 2) * v.pixelStride].toInt() and 0xFF) - 128
            val scaledLuma = 1192 * luma
            val (x, yOut) = rotate(col, row, width, height, rotationDegrees)
            out.set(x, yOut, 0, clampToByte((scaledLuma + 1634 * cr + 512) shr 10))
            out.set(x, yOut, 1, clampToByte((scaledLuma - 833 * cr - 401 * cb + 512) shr 10))
            out.set(x, yOut, 2, clampToByte((scaledLuma + 2066 * cb + 512) shr 10))
        }
        return out
    }

    /** Where source pixel (x, y) of a width x height frame lands after a clockwise rotation. */
    fun rotate(x: Int, y: Int, width: Int, height: Int, rotationDegrees: Int): Pair<Int, Int> = when (rotationDegrees) {
        90 -> (height - 1 - y) to x
        180 -> (width - 1 - x) to (height - 1 - y)
        270 -> y to (width - 1 - x)
        else -> x to y
    }
}
