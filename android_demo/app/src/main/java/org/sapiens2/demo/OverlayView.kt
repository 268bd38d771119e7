package org.sapiens2.demo

import android.content.Context
import android.graphics.Bitmap
import android.graphics.Canvas
import android.graphics.Paint
import android.graphics.RectF
import android.view.View
import org.sapiens2.core.Labels
import org.sapiens2.core.PreviewTransform
import org.sapiens2.core.SegColors

/** Draws the latest result over the preview: the skeleton in the bundle's colours, or the class palette at half opacity. */
class OverlayView(context: Context, private val labels: () -> Labels?) : View(context) {
    private val paint = Paint().apply { setAntiAlias(true); setStrokeWidth(4f) }
    private var result: Result? = null
    private var mirrored = false
    private var bitmap: Bitmap? = null
    private var colors: IntArray? = null

    fun show(result: Result, mirrored: Boolean) {
        this.result = result
        this.mirrored = mirrored
        invalidate()
    }

    override fun onDraw(canvas: Canvas) {
        val current = result ?: return
        val names = labels() ?: return
        when (current) {
            is Result.Pose -> drawPose(canvas, current, names)
            is Result.Seg -> drawSeg(canvas, current, names)
        }
    }

    private fun drawPose(canvas: Canvas, pose: Result.Pose, labels: Labels) {
        val points = pose.keypoints.copyOf()
        PreviewTransform(pose.frameWidth, pose.frameHeight, width, height, mirrored).map(points)
        labels.skeletonLinks.forEachIndexed { i, (a, b) ->
            if (pose.scores[a] < MIN_SCORE || pose.scores[b] < MIN_SCORE) return@forEachIndexed
            paint.setColor(argb(labels.skeletonLinkColorsRgb[i]))
            canvas.drawLine(points[2 * a], points[2 * a + 1], points[2 * b], points[2 * b + 1], paint)
        }
        for (k in pose.scores.indices) {
            if (pose.scores[k] < MIN_SCORE) continue
            paint.setColor(argb(labels.colorsRgb[k]))
            canvas.drawCircle(points[2 * k], points[2 * k + 1], 5f, paint)
        }
    }

    private fun drawSeg(canvas: Canvas, seg: Result.Seg, labels: Labels) {
        val palette = colors ?: SegColors(labels.colorsRgb).argb(alpha = 128).also { colors = it }
        val image = bitmap?.takeIf { it.width == seg.width && it.height == seg.height }
            ?: Bitmap.createBitmap(seg.width, seg.height, Bitmap.Config.ARGB_8888).also { bitmap = it }
        image.setPixels(IntArray(seg.labels.size) { palette[seg.labels[it]] }, 0, seg.width, 0, 0, seg.width, seg.height)
        // The label map covers the whole (stretched) frame: its corners go where the frame's corners are shown.
        val corners = floatArrayOf(-0.5f, -0.5f, seg.frameWidth - 0.5f, seg.frameHeight - 0.5f)
        PreviewTransform(seg.frameWidth, seg.frameHeight, width, height, mirrored).map(corners)
        canvas.drawBitmap(image, null, RectF(minOf(corners[0], corners[2]), corners[1], maxOf(corners[0], corners[2]), corners[3]), null)
    }

    private fun argb(rgb: IntArray): Int = (0xFF shl 24) or (rgb[0] shl 16) or (rgb[1] shl 8) or rgb[2]

    private companion object {
        const val MIN_SCORE = 0.3f
    }
}
