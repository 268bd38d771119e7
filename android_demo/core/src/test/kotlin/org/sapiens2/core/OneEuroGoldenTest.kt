package org.sapiens2.core

import com.google.gson.JsonParser
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test
import java.io.File

class OneEuroGoldenTest {
    private fun replay(name: String) {
        val case = Golden.case("one_euro.json", name)
        val params = OneEuroParams(case["min_cutoff"].asDouble, case["beta"].asDouble, case["d_cutoff"].asDouble)
        val resets = Golden.ints(case["reset_before"]).toSet()
        val timestamps = Golden.doubles(case["timestamps"])
        val inputs = case["inputs"].asJsonArray
        val outputs = case["outputs"].asJsonArray
        val filter = OneEuroFilter(listOf(params, params))
        for (t in timestamps.indices) {
            if (t in resets) filter.reset()
            val actual = filter.filter(Golden.doubles(inputs[t]), timestamps[t], case["speed_scale"].asDouble)
            assertArrayEquals("$name sample $t", Golden.doubles(outputs[t]), actual, 1e-9)
        }
    }

    @Test fun stillPointMatchesTheSdk() = replay("still")

    @Test fun movingPointWithRepeatedTimeAndGapMatchesTheSdk() = replay("moving")

    @Test fun resetPassesTheNextSampleThrough() = replay("no_beta_reset")

    @Test fun keypointGroupsAndDefaultsAreTheSdks() {
        val case = Golden.case("one_euro.json", "defaults")
        val names = JsonParser.parseString(File(System.getProperty("sapiens2.data"), "keypoints308.json").readText())
            .asJsonObject["names"].asJsonArray.map { it.asString }
        assertEquals(case["groups"].asJsonArray.map { it.asString }, KeypointGroups.of(names))
        for ((group, params) in KeypointGroups.DEFAULT_PARAMS) {
            assertArrayEquals(group, Golden.doubles(case["${group}_params"]), doubleArrayOf(params.minCutoff, params.beta, params.dCutoff), 0.0)
        }
    }

    @Test fun firstSampleOfATrackPassesAndLaterOnesAreSmoothedTowardsIt() {
        val smoother = PoseSmoother(listOf(KeypointGroups.BODY))
        assertArrayEquals(floatArrayOf(10f, 20f), smoother.smooth(1, floatArrayOf(10f, 20f), 100.0, 0.0), 0f)
        val second = smoother.smooth(1, floatArrayOf(12f, 20f), 100.0, 0.1)
        // speed 20 px/s, smoothed with a(1 Hz, 0.1 s); cut-off 0.5 + 5 * |s| / 100; then y = a x + (1 - a) y_prev.
        val speed = smoothingFactor(1.0, 0.1) * 20.0
        val weight = smoothingFactor(0.5 + 5.0 * speed / 100.0, 0.1)
        assertEquals(10.0 + weight * 2.0, second[0].toDouble(), 1e-5)
        assertEquals(20f, second[1], 0f)
        assertArrayEquals(floatArrayOf(50f, 60f), smoother.smooth(2, floatArrayOf(50f, 60f), 100.0, 0.1), 0f)  // a new track starts fresh
    }
}
