package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import java.io.File

/** Manifests written by the Python SDK (tests/test_android_demo.py passes their folder as `sapiens2.manifests`). */
class ManifestTest {
    private fun manifest(name: String): BundleManifest =
        BundleManifest.parse(File(System.getProperty("sapiens2.manifests"), "$name.json").readText())

    @Test fun poseManifestDrivesTheCropAndTheOverlay() {
        val pose = manifest("pose")
        assertEquals("pose", pose.task)
        assertEquals("model.pte", pose.program)
        assertEquals(listOf(1, 64, 48, 3), pose.input.shape)
        assertEquals(48 to 64, pose.input.width to pose.input.height)
        assertTrue(pose.input.normalization.inGraph)
        assertEquals("topdown_udp_crop", pose.input.resizePolicy)
        assertEquals(1.25f, pose.input.boxPadding)
        assertEquals(12 to 16, pose.heatmapWidth to pose.heatmapHeight)
        assertEquals(listOf("keypoints", "scores"), pose.outputs.map { it.name })
        assertEquals(308, pose.labels.names.size)
        assertEquals("nose", pose.labels.names[0])
        assertEquals(pose.labels.skeletonLinks.size, pose.labels.skeletonLinkColorsRgb.size)
        assertTrue(pose.labels.skeletonLinks.all { (a, b) -> a in 0 until 308 && b in 0 until 308 })
    }

    @Test fun segManifestCarriesThePalette() {
        val seg = manifest("seg")
        assertEquals("stretch", seg.input.resizePolicy)
        assertEquals(29, seg.labels.colorsRgb.size)
        assertArrayEquals(intArrayOf(50, 50, 50), seg.labels.colorsRgb[0])  // Background, sdk/data/seg29.json
        assertEquals(listOf("labels"), seg.outputs.map { it.name })
    }

    @Test fun aBundleForAnotherTargetIsRefusedWithWhatToDo() {
        val text = File(System.getProperty("sapiens2.manifests"), "seg.json").readText().replace("\"target\": \"executorch\"", "\"target\": \"onnx\"")
        val error = runCatching { BundleManifest.parse(text) }.exceptionOrNull()
        assertTrue(error?.message.orEmpty().contains("--target executorch"))
    }
}
