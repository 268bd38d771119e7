package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertTrue
import org.junit.Test

class ResizeNormalizeGoldenTest {
    private val file = "resize_normalize.json"
    private val source = Golden.image(Golden.case(file, "input")["image_bgr"])
    private val sdkNormalization = Normalization(listOf(123.675, 116.28, 103.53), listOf(58.395, 57.12, 57.375), false)

    private fun assertResized(name: String, actual: Image) {
        val expected = Golden.image(Golden.case(file, name)["resized_bgr"])
        // One grey level: OpenCV's vector kernels round some pixels the other way (see Resize's documentation).
        assertTrue("$name: within one grey level of cv2.resize", maxPixelDifference(expected, actual) <= 1)
    }

    @Test fun stretchShrinkFollowsOpenCvArea() = assertResized("stretch_shrink", DenseResize.stretch(source, 4, 6))

    @Test fun stretchEnlargeFollowsOpenCvCubic() = assertResized("stretch_enlarge", DenseResize.stretch(source, 10, 8))

    @Test fun letterboxPadsLikeThePythonReference() {
        val case = Golden.case(file, "letterbox")
        val (padded, box) = DenseResize.letterbox(source, 6, 6)
        assertArrayEquals(Golden.ints(case["padding_lrtb"]), intArrayOf(box.left, box.right, box.top, box.bottom))
        assertArrayEquals(Golden.ints(case["content_shape_hw"]), intArrayOf(box.contentHeight, box.contentWidth))
        assertResized("letterbox", padded)
    }

    @Test fun normalizationIsBitIdenticalOnEveryCase() {
        for (name in listOf("stretch_shrink", "stretch_enlarge", "letterbox")) {
            val case = Golden.case(file, name)
            val resized = Golden.image(case["resized_bgr"])
            val out = FloatArray(resized.width * resized.height * 3)
            InputTensor.normalize(resized, swap = true, normalization = sdkNormalization, out = out)
            assertArrayEquals(name, Golden.floats(case["normalized_nchw"]), out, 0f)
        }
    }
}
