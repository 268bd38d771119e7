package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertNotEquals
import org.junit.Assert.assertNull
import org.junit.Test

class PoseTrackingTest {
    private val names = listOf("nose", "left_wrist", "right_wrist", "left_thumb4")

    @Test fun keypointBoxByHand() {
        // Confident points span x 10..30, y 20..60; 10% margin each side; the 0.1-score point is left out.
        val box = boxFromKeypoints(floatArrayOf(10f, 20f, 30f, 60f, 20f, 40f, 500f, 500f), floatArrayOf(0.9f, 0.8f, 0.3f, 0.1f))
        assertArrayEquals(doubleArrayOf(8.0, 16.0, 32.0, 64.0), box, 1e-9)
        assertNull(boxFromKeypoints(floatArrayOf(10f, 20f, 30f, 60f), floatArrayOf(0.9f, 0.8f)))
    }

    @Test fun onePersonKeepsOneIdAndIsSmoothed() {
        val tracking = PoseTracking(names)
        val scores = floatArrayOf(0.9f, 0.9f, 0.9f, 0.9f)
        val first = floatArrayOf(100f, 100f, 140f, 200f, 60f, 200f, 150f, 210f)
        val start = tracking.update(first, scores, 0.0)!!
        assertEquals(1, start.trackId)
        assertArrayEquals(first, start.keypoints, 0f)  // the first frame passes unchanged
        val jittered = FloatArray(first.size) { first[it] + if (it == 0) 3f else 0f }
        val next = tracking.update(jittered, scores, 1.0 / 30)!!
        assertEquals(1, next.trackId)
        assertEquals(true, next.keypoints[0] > 100f && next.keypoints[0] < 103f)  // pulled towards the last frame
        assertArrayEquals(first.copyOfRange(1, first.size), next.keypoints.copyOfRange(1, first.size), 1e-4f)
    }

    @Test fun nobodySeenGivesNoPoseAndResetStartsANewId() {
        val tracking = PoseTracking(names)
        val points = floatArrayOf(100f, 100f, 140f, 200f, 60f, 200f, 150f, 210f)
        assertEquals(1, tracking.update(points, floatArrayOf(0.9f, 0.9f, 0.9f, 0.9f), 0.0)!!.trackId)
        assertNull(tracking.update(points, floatArrayOf(0.1f, 0.1f, 0.1f, 0.1f), 0.1))
        tracking.reset()
        assertNotEquals(1, tracking.update(points, floatArrayOf(0.9f, 0.9f, 0.9f, 0.9f), 0.2)!!.trackId)
    }
}
