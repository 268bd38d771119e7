package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test
import com.google.gson.JsonParser
import java.io.File

class SegColorizeGoldenTest {
    private val case = Golden.case("seg_colorize.json", "colorize")
    private val labels = Golden.ints(case["labels"])
    private val expectedRgb = Golden.ints(case["colors_rgb"])

    /** The SDK's 29-class palette (sdk/data/seg29.json), the one bundles copy into their manifest. */
    private val palette = JsonParser.parseString(File(System.getProperty("sapiens2.data"), "seg29.json").readText())
        .asJsonObject.getAsJsonArray("colors_rgb").map { Golden.ints(it) }

    @Test fun colorizeIsAPaletteLookup() {
        val out = ByteArray(labels.size * 3)
        SegColors(palette).colorize(labels, out)
        assertArrayEquals(expectedRgb, out.map { it.toInt() and 0xFF }.toIntArray())
    }

    @Test fun overlayIsOpenCvAddWeightedBitForBit() {
        val image = Golden.image(case["image_bgr"])
        val overlay = SegColors(palette).overlay(image, labels, imageOrder = "BGR")
        assertEquals(0, maxPixelDifference(Golden.image(case["overlay_bgr"]), overlay))
    }
}
