package org.sapiens2.core

import org.junit.Assert.assertEquals
import org.junit.Assert.assertTrue
import org.junit.Test
import kotlin.math.abs
import kotlin.math.roundToInt

class YuvTest {
    /** The textbook BT.601 limited-range formulas in double, the reference for the fixed-point code. */
    private fun reference(y: Int, u: Int, v: Int): IntArray {
        val l = 1.164 * (y - 16)
        return doubleArrayOf(l + 1.596 * (v - 128), l - 0.813 * (v - 128) - 0.391 * (u - 128), l + 2.018 * (u - 128))
            .map { it.roundToInt().coerceIn(0, 255) }.toIntArray()
    }

    /** A 4 x 2 frame with constant chroma, Y planes padded to a row stride of 6, interleaved chroma (pixel stride 2). */
    private fun frame(luma: IntArray, u: Int, v: Int): Triple<Yuv.Plane, Yuv.Plane, Yuv.Plane> {
        val y = ByteArray(12)
        for (row in 0 until 2) for (col in 0 until 4) y[row * 6 + col] = luma[row * 4 + col].toByte()
        val uv = ByteArray(4) { if (it % 2 == 0) u.toByte() else v.toByte() }
        return Triple(Yuv.Plane(y, 6, 1), Yuv.Plane(uv, 4, 2), Yuv.Plane(uv.copyOfRange(1, 4) + byteArrayOf(0), 4, 2))
    }

    @Test fun blackWhiteAndRedMatchBt601() {
        for ((y, u, v) in listOf(Triple(16, 128, 128), Triple(235, 128, 128), Triple(81, 90, 240), Triple(145, 54, 34))) {
            val (py, pu, pv) = frame(IntArray(8) { y }, u, v)
            val rgb = Yuv.toRgb(4, 2, py, pu, pv, 0, Image(4, 2))
            val expected = reference(y, u, v)
            for (c in 0 until 3) assertTrue("YUV($y,$u,$v) channel $c", abs(rgb.get(1, 1, c) - expected[c]) <= 1)
        }
        val (py, pu, pv) = frame(IntArray(8) { 235 }, 128, 128)
        assertEquals(255, Yuv.toRgb(4, 2, py, pu, pv, 0, Image(4, 2)).get(0, 0, 0))
    }

    @Test fun rotationTurnsTheFrameClockwise() {
        val luma = IntArray(8) { 16 + 20 * it }  // distinct grey levels, row-major 4 x 2
        val (py, pu, pv) = frame(luma, 128, 128)
        val upright = Yuv.toRgb(4, 2, py, pu, pv, 0, Image(4, 2))
        val turned = Yuv.toRgb(4, 2, py, pu, pv, 90, Image(2, 4))
        // Clockwise by 90: the bottom-left pixel becomes the top-left, the top-left the top-right.
        assertEquals(upright.get(0, 1, 1), turned.get(0, 0, 1))
        assertEquals(upright.get(0, 0, 1), turned.get(1, 0, 1))
        assertEquals(upright.get(3, 0, 1), turned.get(1, 3, 1))
        val halfTurn = Yuv.toRgb(4, 2, py, pu, pv, 180, Image(4, 2))
        assertEquals(upright.get(0, 0, 1), halfTurn.get(3, 1, 1))
        val threeQuarters = Yuv.toRgb(4, 2, py, pu, pv, 270, Image(2, 4))
        assertEquals(upright.get(0, 0, 1), threeQuarters.get(0, 3, 1))
    }
}
