package org.sapiens2.core

/**
 * An 8-bit, 3-channel, row-major (H x W x 3) image. The channel order is the caller's (the camera
 * gives RGB, the golden vectors store BGR); every operation here treats channels alike.
 */
class Image(val width: Int, val height: Int, val pixels: ByteArray = ByteArray(width * height * CHANNELS)) {
    init {
        require(width > 0 && height > 0) { "image size must be positive, got ${width}x$height" }
        require(pixels.size == width * height * CHANNELS) {
            "expected ${width * height * CHANNELS} bytes for ${width}x$height, got ${pixels.size}"
        }
    }

    /** The channel value at (x, y) as 0..255. */
    fun get(x: Int, y: Int, channel: Int): Int = pixels[(y * width + x) * CHANNELS + channel].toInt() and 0xFF

    fun set(x: Int, y: Int, channel: Int, value: Int) {
        pixels[(y * width + x) * CHANNELS + channel] = value.toByte()
    }

    companion object {
        const val CHANNELS = 3
    }
}

/** Round half to even, as OpenCV's cvRound / saturate_cast do. */
internal fun roundHalfEven(value: Double): Int = Math.rint(value).toInt()

internal fun clampToByte(value: Int): Int = if (value < 0) 0 else if (value > 255) 255 else value
