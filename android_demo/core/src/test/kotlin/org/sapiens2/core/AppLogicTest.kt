package org.sapiens2.core

import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Assert.assertFalse
import org.junit.Assert.assertTrue
import org.junit.Test

class AppLogicTest {
    @Test fun gateDropsFramesWhileOneIsInFlight() {
        val gate = FrameGate()
        assertTrue(gate.tryEnter())
        assertFalse(gate.tryEnter())
        assertFalse(gate.tryEnter())
        gate.exit()
        assertTrue(gate.tryEnter())
        assertEquals(2, gate.dropped)
    }

    @Test fun meterReportsRateAndLatency() {
        val meter = RateMeter(smoothing = 0.5)
        meter.record(nowNanos = 0, latencyNanos = 20_000_000)
        meter.record(nowNanos = 100_000_000, latencyNanos = 40_000_000)  // 10 frames/s, then 30 ms smoothed
        assertEquals(10.0, meter.framesPerSecond, 1e-9)
        assertEquals(30.0, meter.latencyMs, 1e-9)
    }

    @Test fun previewFillsAndMirrors() {
        // 640 x 480 image filling a 1080 x 1080 view: scale 2.25, 180 px cropped off each side.
        val points = floatArrayOf(0f, 0f, 319.5f, 239.5f)
        PreviewTransform(640, 480, 1080, 1080, mirrored = false).map(points)
        assertArrayEquals(floatArrayOf(0.5f * 2.25f - 180f, 0.5f * 2.25f, 540f, 540f), points, 1e-3f)
        val mirrored = floatArrayOf(0f, 0f)
        PreviewTransform(640, 480, 1080, 1080, mirrored = true).map(mirrored)
        assertArrayEquals(floatArrayOf(1080f - (0.5f * 2.25f - 180f), 0.5f * 2.25f), mirrored, 1e-3f)
    }

    @Test fun wholeImageCropCoversTheFrameAtTheInputAspect() {
        val crop = TopdownCrop.wholeImage(640, 480, 48, 64)
        // Box 639 x 479 padded by 1.25, then the height enlarged to the 3:4 input: 798.75 x 1065.
        assertEquals(798.75f, crop.scaleW, 1e-3f)
        assertEquals(1065f, crop.scaleH, 1e-3f)
        assertEquals(Interpolation.AREA, crop.interpolation)
    }
}
