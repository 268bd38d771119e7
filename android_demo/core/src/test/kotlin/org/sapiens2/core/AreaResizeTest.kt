package org.sapiens2.core

import org.junit.Assert.assertEquals
import org.junit.Test

/** Pixel-area averaging (both scales >= 1) has no golden case: these are hand computations. */
class AreaResizeTest {
    private fun grey(width: Int, height: Int, values: IntArray): Image =
        Image(width, height).also { image -> values.forEachIndexed { i, v -> for (c in 0 until 3) image.set(i % width, i / width, c, v) } }

    @Test fun halvingAveragesEachTwoByTwoBlock() {
        val source = grey(4, 2, intArrayOf(10, 20, 100, 200, 30, 40, 0, 100))
        val out = Resize.resize(source, 2, 1, Interpolation.AREA)
        assertEquals(25, out.get(0, 0, 0))  // (10 + 20 + 30 + 40) / 4
        assertEquals(100, out.get(1, 0, 2))  // (100 + 200 + 0 + 100) / 4
    }

    @Test fun threeToTwoWeighsTheSharedPixelByItsOverlap() {
        // Destination pixel 0 covers source [0, 1.5): weights 1 and 0.5 of 1.5; pixel 1 covers [1.5, 3).
        val out = Resize.resize(grey(3, 1, intArrayOf(0, 90, 180)), 2, 1, Interpolation.AREA)
        assertEquals(30, out.get(0, 0, 1))  // (0 x 1 + 90 x 0.5) / 1.5
        assertEquals(150, out.get(1, 0, 1))  // (90 x 0.5 + 180 x 1) / 1.5
    }
}
