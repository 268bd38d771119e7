package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

class AffineCropGoldenTest {
    private val file = "affine_crop.json"
    private val source = Golden.image(Golden.case(file, "input")["image_bgr"])
    private val cases = listOf("shrink", "enlarge")

    private fun crop(name: String): TopdownCrop {
        val case = Golden.case(file, name)
        val box = Golden.floats(case["bbox_xyxy"])
        val size = Golden.ints(case["input_size_wh"])
        return TopdownCrop.fromBox(box[0], box[1], box[2], box[3], size[0], size[1])
    }

    @Test fun boxCentreScaleAndMatrixAreFloat32Exact() {
        for (name in cases) {
            val case = Golden.case(file, name)
            val crop = crop(name)
            assertArrayEquals(name, Golden.floats(case["bbox_center"]), floatArrayOf(crop.centerX, crop.centerY), 0f)
            assertArrayEquals(name, Golden.floats(case["bbox_scale"]), floatArrayOf(crop.scaleW, crop.scaleH), 0f)
            assertArrayEquals(name, Golden.floats(case["matrix"]), crop.matrix, 0f)
            assertEquals(name, case["interpolation"].asString, crop.interpolation.name.lowercase())
        }
    }

    @Test fun warpIsOpenCvWarpAffineBitForBit() {
        for (name in cases) {
            val expected = Golden.image(Golden.case(file, name)["crop_bgr"])
            assertEquals(name, 0, maxPixelDifference(expected, crop(name).warp(source)))
        }
    }

    @Test fun pointsMapToTheCropAndBack() {
        for (name in cases) {
            val case = Golden.case(file, name)
            val points = Golden.floats(case["points_image"])
            crop(name).imageToCrop(points)
            assertArrayEquals(name, Golden.floats(case["points_crop"]), points, 1e-4f)
            crop(name).cropToImage(points)
            assertArrayEquals(name, Golden.floats(case["points_image"]), points, 1e-4f)
        }
    }

    @Test fun decodedKeypointsMapToImagePixels() {
        for (name in cases) {
            val case = Golden.case(file, name)
            val keypoints = Golden.floats(case["decoded_keypoints"])
            crop(name).keypointsToImage(keypoints)
            assertArrayEquals(name, Golden.floats(case["decoded_keypoints_image"]), keypoints, 1e-4f)
        }
    }
}
