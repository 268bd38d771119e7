package org.sapiens2.core

import kotlin.math.exp
import kotlin.math.ln

/**
 * The UDP heatmap codec's decoder: integer argmax, then one DARK Newton step on the log of a blurred
 * heatmap, scaled to the codec's input frame (heatmap coordinate x input_size / (heatmap_size - 1)).
 * Bundles that decode in their graph return only the integer peaks; `peaksToInputFrame` scales those.
 */
class HeatmapDecoder(private val inputWidth: Int, private val inputHeight: Int, private val blurKernelSize: Int = 11) {
    private val kernel = gaussianKernel(blurKernelSize)

    /** Peaks (x, y) per keypoint (-1, -1 where the maximum is <= 0) and the raw maxima, of K x h x w heatmaps. */
    fun maxima(heatmaps: FloatArray, count: Int, height: Int, width: Int, peaks: FloatArray, scores: FloatArray) {
        val plane = height * width
        for (k in 0 until count) {
            var best = 0
            for (i in 1 until plane) if (heatmaps[k * plane + i] > heatmaps[k * plane + best]) best = i
            scores[k] = heatmaps[k * plane + best]
            val positive = scores[k] > 0f
            peaks[2 * k] = if (positive) (best % width).toFloat() else -1f
            peaks[2 * k + 1] = if (positive) (best / width).toFloat() else -1f
        }
    }

    /** Keypoints (K x 2, the codec's input frame) and scores (K) of K x h x w heatmaps. */
    fun decode(heatmaps: FloatArray, count: Int, height: Int, width: Int, keypoints: FloatArray, scores: FloatArray) {
        maxima(heatmaps, count, height, width, keypoints, scores)
        val plane = height * width
        val logMap = FloatArray(plane)
        for (k in 0 until count) {
            if (keypoints[2 * k] < 0f) continue  // no positive response: left at (-1, -1), as the Python reference
            logBlurred(heatmaps, k * plane, height, width, logMap)
            refine(logMap, height, width, keypoints, k)
        }
        peaksToInputFrame(keypoints, count, height, width)
    }

    /** Heatmap coordinates -> the codec's input frame, in place; peaks at (-1, -1) are scaled like the rest. */
    fun peaksToInputFrame(points: FloatArray, count: Int, height: Int, width: Int) {
        for (k in 0 until count) {
            points[2 * k] = (points[2 * k].toDouble() / (width - 1) * inputWidth).toFloat()
            points[2 * k + 1] = (points[2 * k + 1].toDouble() / (height - 1) * inputHeight).toFloat()
        }
    }

    /** log(clip(blur(map) rescaled to the map's max, 1e-3, 50)): zero padding, OpenCV's automatic sigma. */
    private fun logBlurred(heatmaps: FloatArray, offset: Int, height: Int, width: Int, out: FloatArray) {
        val radius = blurKernelSize / 2
        val rows = FloatArray(height * width)
        for (y in 0 until height) for (x in 0 until width) {
            var sum = 0f
            for (i in -radius..radius) {
                val sx = x + i
                if (sx in 0 until width) sum += kernel[i + radius] * heatmaps[offset + y * width + sx]
            }
            rows[y * width + x] = sum
        }
        var originalMax = Float.NEGATIVE_INFINITY
        var blurredMax = Float.NEGATIVE_INFINITY
        for (y in 0 until height) for (x in 0 until width) {
            var sum = 0f
            for (i in -radius..radius) {
                val sy = y + i
                if (sy in 0 until height) sum += kernel[i + radius] * rows[sy * width + x]
            }
            out[y * width + x] = sum
            blurredMax = maxOf(blurredMax, sum)
            originalMax = maxOf(originalMax, heatmaps[offset + y * width + x])
        }
        val rescale = originalMax / blurredMax
        for (i in out.indices) out[i] = ln((out[i] * rescale).coerceIn(LOG_CLIP_MIN, LOG_CLIP_MAX))
    }

    /** One Newton step p - (H + eps I)^-1 g with central differences on the edge-padded log map. */
    private fun refine(f: FloatArray, height: Int, width: Int, points: FloatArray, k: Int) {
        val px = points[2 * k].toInt()
        val py = points[2 * k + 1].toInt()
        fun at(x: Int, y: Int): Float = f[y.coerceIn(0, height - 1) * width + x.coerceIn(0, width - 1)]
        val centre = at(px, py)
        val right = at(px + 1, py)
        val left = at(px - 1, py)
        val down = at(px, py + 1)
        val up = at(px, py - 1)
        val gx = 0.5f * (right - left)
        val gy = 0.5f * (down - up)
        val dxx = right - 2 * centre + left
        val dyy = down - 2 * centre + up
        val dxy = 0.5f * (at(px + 1, py + 1) - right - down + centre + centre - left - up + at(px - 1, py - 1))
        val a = dxx.toDouble() + EPS
        val d = dyy.toDouble() + EPS
        val b = dxy.toDouble()
        val det = a * d - b * b
        val stepX = (d * gx - b * gy) / det
        val stepY = (-b * gx + a * gy) / det
        points[2 * k] = (px - stepX).toFloat()
        points[2 * k + 1] = (py - stepY).toFloat()
    }

    companion object {
        private const val LOG_CLIP_MIN = 1e-3f
        private const val LOG_CLIP_MAX = 50f
        private val EPS = Math.ulp(1f).toDouble()  // float32 machine epsilon, as the reference adds

        /** OpenCV's `getGaussianKernel(size, 0)`: sigma = 0.3 ((size - 1) / 2 - 1) + 0.8, normalised in double. */
        internal fun gaussianKernel(size: Int): FloatArray {
            val sigma = 0.3 * ((size - 1) * 0.5 - 1) + 0.8
            val weights = DoubleArray(size) { val x = it - (size - 1) / 2.0; exp(-x * x / (2 * sigma * sigma)) }
            val total = weights.sum()
            return FloatArray(size) { (weights[it] / total).toFloat() }
        }
    }
}
