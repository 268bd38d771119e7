package org.sapiens2.core

/**
 * Image pixels -> view pixels for a preview that fills its view (centre crop, CameraX's FILL_CENTER),
 * mirrored for the front camera so that the overlay sits on the mirrored preview.
 */
class PreviewTransform(imageWidth: Int, imageHeight: Int, private val viewWidth: Int, viewHeight: Int, private val mirrored: Boolean) {
    private val scale = maxOf(viewWidth.toFloat() / imageWidth, viewHeight.toFloat() / imageHeight)
    private val offsetX = (viewWidth - imageWidth * scale) / 2
    private val offsetY = (viewHeight - imageHeight * scale) / 2

    /** Map (x, y) pairs in place; pixel centres map to pixel centres (x + 0.5 scales, not x). */
    fun map(points: FloatArray) {
        for (i in points.indices step 2) {
            val x = (points[i] + 0.5f) * scale + offsetX
            points[i] = if (mirrored) viewWidth - x else x
            points[i + 1] = (points[i + 1] + 0.5f) * scale + offsetY
        }
    }
}
