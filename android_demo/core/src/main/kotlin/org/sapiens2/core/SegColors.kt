package org.sapiens2.core

/** Class id -> palette colour, and the 50/50 blend of that colour over the image (OpenCV's addWeighted). */
class SegColors(private val paletteRgb: List<IntArray>) {
    val classCount: Int get() = paletteRgb.size

    /** Labels (H x W) -> RGB pixels (H x W x 3) into `out`. */
    fun colorize(labels: IntArray, out: ByteArray) {
        for (i in labels.indices) {
            val color = colorOf(labels[i])
            for (c in 0 until 3) out[3 * i + c] = color[c].toByte()
        }
    }

    /** (1 - opacity) x image + opacity x palette colour, rounded half to even; `imageOrder` "RGB" or "BGR". */
    fun overlay(image: Image, labels: IntArray, imageOrder: String, opacity: Double = 0.5, out: Image = Image(image.width, image.height)): Image {
        require(labels.size == image.width * image.height) { "labels must cover the ${image.width}x${image.height} image" }
        val bgr = imageOrder == "BGR"
        for (i in labels.indices) {
            val color = colorOf(labels[i])
            for (c in 0 until 3) {
                val paletteValue = color[if (bgr) 2 - c else c]
                val imageValue = image.pixels[3 * i + c].toInt() and 0xFF
                val blended = (imageValue * (1 - opacity).toFloat() + paletteValue * opacity.toFloat()).toDouble()
                out.pixels[3 * i + c] = clampToByte(roundHalfEven(blended)).toByte()
            }
        }
        return out
    }

    /** ARGB colours per class with `alpha` (0..255), for an Android overlay bitmap. */
    fun argb(alpha: Int): IntArray = IntArray(paletteRgb.size) { (alpha shl 24) or (paletteRgb[it][0] shl 16) or (paletteRgb[it][1] shl 8) or paletteRgb[it][2] }

    private fun colorOf(label: Int): IntArray {
        require(label in paletteRgb.indices) { "label $label is not a class id (0..${paletteRgb.size - 1})" }
        return paletteRgb[label]
    }
}
