package org.sapiens2.core

/** Where the image content sits inside a letterboxed input: padding (left, right, top, bottom) and content size. */
data class Letterbox(val left: Int, val right: Int, val top: Int, val bottom: Int, val contentWidth: Int, val contentHeight: Int)

/** The dense tasks' fits to the model input: stretch for segmentation, letterbox for the others. */
object DenseResize {
    /** Stretch to the input size; INTER_AREA when the width shrinks, else INTER_CUBIC (the official rule looks at width only). */
    fun stretch(image: Image, width: Int, height: Int, dst: Image = Image(width, height)): Image =
        Resize.resize(image, width, height, if (width < image.width) Interpolation.AREA else Interpolation.CUBIC, dst)

    /** Keep the aspect ratio (size truncated), INTER_LINEAR, black padding split with the smaller half left/top. */
    fun letterbox(image: Image, width: Int, height: Int): Pair<Image, Letterbox> {
        val scale = minOf(width.toDouble() / image.width, height.toDouble() / image.height)
        val contentW = (image.width * scale).toInt()
        val contentH = (image.height * scale).toInt()
        val content = Resize.resize(image, contentW, contentH, Interpolation.LINEAR)
        val left = (width - contentW) / 2
        val top = (height - contentH) / 2
        val padded = Image(width, height)
        for (y in 0 until contentH) {
            System.arraycopy(content.pixels, y * contentW * Image.CHANNELS, padded.pixels, ((y + top) * width + left) * Image.CHANNELS, contentW * Image.CHANNELS)
        }
        return padded to Letterbox(left, width - contentW - left, top, height - contentH - top, contentW, contentH)
    }
}
