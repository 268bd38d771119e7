package org.sapiens2.core

import com.google.gson.JsonObject
import org.junit.Assert.assertArrayEquals
import org.junit.Assert.assertEquals
import org.junit.Test

class TrackerGoldenTest {
    private fun replay(name: String) {
        val tracker = PersonTracker()
        for ((index, element) in Golden.case("tracker.json", name)["frames"].asJsonArray.withIndex()) {
            val frame = element.asJsonObject
            val boxes = frame["boxes"].asJsonArray
            val people = boxes.indices().map { i ->
                Person(
                    Golden.doubles(boxes[i]),
                    frame.optional("keypoints")?.let { Golden.doubles(it.asJsonArray[i]) },
                    frame.optional("keypoint_scores")?.let { Golden.doubles(it.asJsonArray[i]) },
                )
            }
            val ids = tracker.update(people, frame["timestamp"].asDouble)
            assertArrayEquals("$name frame $index ids", Golden.ints(frame["expected_ids"]), ids)
            assertEquals("$name frame $index ended", Golden.ints(frame["expected_ended"]).toList(), tracker.ended)
        }
    }

    private fun JsonObject.optional(key: String) = if (has(key)) get(key) else null

    private fun com.google.gson.JsonArray.indices() = 0 until size()

    @Test fun crossingPeopleKeepTheirIdsAndEndAfterMaxMissed() = replay("crossing")

    @Test fun keypointsTellApartPeopleWithTheSameBox() = replay("keypoints")

    @Test fun constantsAreTheSdks() {
        val sdk = Golden.case("tracker.json", "parameters")
        val ours = TrackerParams()
        assertEquals(sdk["min_similarity"].asDouble, ours.minSimilarity, 0.0)
        assertEquals(sdk["max_missed"].asInt, ours.maxMissed)
        assertEquals(sdk["velocity_momentum"].asDouble, ours.velocityMomentum, 0.0)
        assertEquals(sdk["oks_sigma"].asDouble, ours.oksSigma, 0.0)
        assertEquals(sdk["oks_score_threshold"].asDouble, ours.oksScoreThreshold, 0.0)
        assertEquals(sdk["oks_min_shared"].asInt, ours.oksMinShared)
    }

    @Test fun iouByHand() {
        // 10 x 10 boxes overlapping in a 5 x 10 strip: 50 / (100 + 100 - 50).
        assertEquals(1.0 / 3.0, boxIou(doubleArrayOf(0.0, 0.0, 10.0, 10.0), doubleArrayOf(5.0, 0.0, 15.0, 10.0)), 1e-12)
        assertEquals(0.0, boxIou(doubleArrayOf(0.0, 0.0, 0.0, 0.0), doubleArrayOf(0.0, 0.0, 0.0, 0.0)), 0.0)
    }
}
