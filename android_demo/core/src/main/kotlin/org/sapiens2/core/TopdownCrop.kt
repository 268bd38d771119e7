package org.sapiens2.core

/**
 * One person's top-down crop: the UDP affine map from a padded, aspect-fixed box onto the model
 * input, its inverse for the overlay, and the codec's keypoint frame back to image pixels. Float32
 * where the Python reference is float32, so that matrices and points agree to the last bit or two.
 */
class TopdownCrop(val centerX: Float, val centerY: Float, val scaleW: Float, val scaleH: Float, val inputWidth: Int, val inputHeight: Int) {
    /** Image -> crop, row-major 2 x 3. */
    val matrix: FloatArray by lazy {
        val sx = (inputWidth - 1).toFloat() / scaleW
        val sy = (inputHeight - 1).toFloat() / scaleH
        floatArrayOf(sx, 0f, sx * (-centerX + 0.5f * scaleW), 0f, sy, sy * (-centerY + 0.5f * scaleH))
    }

    /** OpenCV's rule: INTER_AREA (bilinear in a warp) when the crop shrinks the image, else INTER_CUBIC. */
    val interpolation: Interpolation
        get() = if (minOf(matrix[0], matrix[4]) < 1f) Interpolation.AREA else Interpolation.CUBIC

    /** Cut the crop out of `image` into `dst` (reused between frames). */
    fun warp(image: Image, dst: Image = Image(inputWidth, inputHeight)): Image =
        AffineWarp.warp(image, matrix, inputWidth, inputHeight, interpolation, dst)

    /** Image pixels -> crop pixels, in place on (x, y) pairs. */
    fun imageToCrop(points: FloatArray) = applyAffine(DoubleArray(6) { matrix[it].toDouble() }, points)

    /** Crop pixels -> image pixels, in place: the exact inverse of `imageToCrop`. */
    fun cropToImage(points: FloatArray) = applyAffine(AffineWarp.invert(DoubleArray(6) { matrix[it].toDouble() }), points)

    /** Keypoints in the UDP codec's input frame (the box spans [0, W_in]) -> image pixels, in place. */
    fun keypointsToImage(points: FloatArray) {
        for (i in points.indices step 2) {
            points[i] = (points[i].toDouble() / inputWidth * scaleW + centerX - 0.5 * scaleW).toFloat()
            points[i + 1] = (points[i + 1].toDouble() / inputHeight * scaleH + centerY - 0.5 * scaleH).toFloat()
        }
    }

    companion object {
        const val BOX_PADDING = 1.25f

        /** Box (x1, y1, x2, y2) padded by `padding`, its short side enlarged to the input's aspect ratio. */
        fun fromBox(x1: Float, y1: Float, x2: Float, y2: Float, inputWidth: Int, inputHeight: Int, padding: Float = BOX_PADDING): TopdownCrop {
            var w = (x2 - x1) * padding
            var h = (y2 - y1) * padding
            val aspect = (inputWidth.toDouble() / inputHeight).toFloat()  // float32 arithmetic, as numpy 2 does
            if (w > h * aspect) h = w / aspect else w = h * aspect
            return TopdownCrop((x1 + x2) * 0.5f, (y1 + y2) * 0.5f, w, h, inputWidth, inputHeight)
        }

        /** The official rule without a detector: the whole frame is the box. */
        fun wholeImage(width: Int, height: Int, inputWidth: Int, inputHeight: Int, padding: Float = BOX_PADDING): TopdownCrop =
            fromBox(0f, 0f, (width - 1).toFloat(), (height - 1).toFloat(), inputWidth, inputHeight, padding)
    }
}

private fun applyAffine(m: DoubleArray, points: FloatArray) {
    for (i in points.indices step 2) {
        val x = points[i].toDouble()
        val y = points[i + 1].toDouble()
        points[i] = (m[0] * x + m[1] * y + m[2]).toFloat()
        points[i + 1] = (m[3] * x + m[4] * y + m[5]).toFloat()
    }
}
