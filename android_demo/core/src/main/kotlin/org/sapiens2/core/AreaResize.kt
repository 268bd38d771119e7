package org.sapiens2.core

import kotlin.math.min

/**
 * Pixel-area averaging for a shrink along both axes (OpenCV INTER_AREA with both scales >= 1): each
 * destination pixel is the overlap-weighted mean of the source pixels under it, rounded half to even.
 */
internal object AreaResize {
    fun resize(src: Image, dst: Image): Image {
        val xSpans = spans(src.width, dst.width)
        val ySpans = spans(src.height, dst.height)
        val sums = DoubleArray(Image.CHANNELS)
        for (dy in 0 until dst.height) for (dx in 0 until dst.width) {
            sums.fill(0.0)
            for ((sy, wy) in ySpans[dy]) for ((sx, wx) in xSpans[dx]) {
                for (c in 0 until Image.CHANNELS) sums[c] += src.get(sx, sy, c) * wy * wx
            }
            for (c in 0 until Image.CHANNELS) dst.set(dx, dy, c, clampToByte(roundHalfEven(sums[c])))
        }
        return dst
    }

    /** For each destination index, the source indices it covers and their weights (summing to 1). */
    private fun spans(srcSize: Int, dstSize: Int): List<List<Pair<Int, Double>>> {
        val scale = srcSize.toDouble() / dstSize
        return List(dstSize) { d ->
            val start = d * scale
            val end = min(start + scale, srcSize.toDouble())
            (start.toInt() until kotlin.math.ceil(end).toInt()).map { s ->
                s to (min(end, s + 1.0) - maxOf(start, s.toDouble())) / scale
            }
        }
    }
}
