package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Test

class HeatmapDecodeGoldenTest {
    private val case = Golden.case("heatmap_decode.json", "udp")
    private val heatmaps = Golden.floats(case["heatmaps"])
    private val inputSize = Golden.ints(case["input_size_wh"])
    private val heatmapSize = Golden.ints(case["heatmap_size_wh"])
    private val count = case["scores"].asJsonArray.size()
    private val decoder = HeatmapDecoder(inputSize[0], inputSize[1], case["blur_kernel_size"].asInt)

    @Test fun integerPeaksAndScoresAreExact() {
        val peaks = FloatArray(2 * count)
        val scores = FloatArray(count)
        decoder.maxima(heatmaps, count, heatmapSize[1], heatmapSize[0], peaks, scores)
        assertArrayEquals(Golden.floats(case["integer_peaks"]), peaks, 0f)
        assertArrayEquals(Golden.floats(case["scores"]), scores, 0f)
    }

    @Test fun darkUdpKeypointsMatchWithinFloat32Rounding() {
        val keypoints = FloatArray(2 * count)
        val scores = FloatArray(count)
        decoder.decode(heatmaps, count, heatmapSize[1], heatmapSize[0], keypoints, scores)
        assertArrayEquals(Golden.floats(case["keypoints"]), keypoints, 1e-4f)
    }

    @Test fun inGraphPeaksScaleToTheCodecFrameByHand() {
        val peaks = floatArrayOf(0f, 0f, 11f, 15f, 4f, 7f)  // heatmap 12 x 16 -> input 48 x 64
        HeatmapDecoder(48, 64).peaksToInputFrame(peaks, 3, 16, 12)
        assertArrayEquals(floatArrayOf(0f, 0f, 48f, 64f, 4f * 48 / 11, 7f * 64 / 15), peaks, 1e-5f)
    }
}
