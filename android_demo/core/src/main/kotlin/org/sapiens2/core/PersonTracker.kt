package org.sapiens2.core

import kotlin.math.exp

/** One detected person in a frame: box (x1, y1, x2, y2) and, when known, keypoints (x, y pairs) and their scores. */
class Person(val box: DoubleArray, val keypoints: DoubleArray? = null, val keypointScores: DoubleArray? = null)

/** The tracker's constants, the SDK's defaults (`processing/tracking.py`). */
data class TrackerParams(
    val minSimilarity: Double = 0.3,
    val maxMissed: Int = 8,
    val velocityMomentum: Double = 0.5,
    val oksSigma: Double = 0.1,
    val oksScoreThreshold: Double = 0.3,
    val oksMinShared: Int = 3,
)

/** IoU of two xyxy boxes in continuous coordinates (area = w * h); 0 for an empty union. */
fun boxIou(a: DoubleArray, b: DoubleArray): Double {
    val inter = maxOf(minOf(a[2], b[2]) - maxOf(a[0], b[0]), 0.0) * maxOf(minOf(a[3], b[3]) - maxOf(a[1], b[1]), 0.0)
    val union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter
    return if (union > 0) inter / union else 0.0
}

/**
 * Stable person IDs across frames, a port of the SDK's `PersonTracker`: each track is moved by its
 * velocity to the new timestamp, (track, person) pairs are scored by box IoU averaged with the
 * keypoint similarity (OKS) where both have enough confident keypoints, and the exact assignment of
 * highest total score pairs them ([Assignment]); pairs below `minSimilarity` stay unmatched. A person
 * left over starts a track (IDs from 1, never reused); a track missed more than `maxMissed` frames ends.
 */
class PersonTracker(private val params: TrackerParams = TrackerParams()) {
    private class Track(val id: Int, var box: DoubleArray, var time: Double) {
        var velocity = DoubleArray(4)
        var keypoints: DoubleArray? = null
        var keypointScores: DoubleArray? = null
        var missed = 0

        fun predictedBox(timestamp: Double) = DoubleArray(4) { box[it] + velocity[it] * (timestamp - time) }

        /** The last keypoints moved with the predicted box centre. */
        fun predictedKeypoints(timestamp: Double): DoubleArray? {
            val points = keypoints ?: return null
            val dx = (velocity[0] + velocity[2]) / 2 * (timestamp - time)
            val dy = (velocity[1] + velocity[3]) / 2 * (timestamp - time)
            return DoubleArray(points.size) { points[it] + if (it % 2 == 0) dx else dy }
        }
    }

    private var tracks = mutableListOf<Track>()
    private var nextId = 1

    /** IDs of the tracks that ended at the last `update` (or `reset`), in creation order. */
    var ended: List<Int> = emptyList()
        private set

    /** The IDs of this frame's `people` (one each, in order) at `timestamp` seconds. */
    fun update(people: List<Person>, timestamp: Double): IntArray {
        val scores = Array(tracks.size) { row -> DoubleArray(people.size) { column -> similarity(tracks[row], people[column], timestamp) } }
        val pairs = Assignment.maximize(scores, people.size)
        val ids = IntArray(people.size)
        val matched = HashSet<Track>()
        pairs.forEachIndexed { row, column ->
            if (column < 0 || scores[row][column] < params.minSimilarity) return@forEachIndexed
            follow(tracks[row], people[column], timestamp)
            ids[column] = tracks[row].id
            matched += tracks[row]
        }
        for (column in people.indices) {
            if (ids[column] != 0) continue
            val track = Track(nextId++, people[column].box.copyOf(), timestamp)
            track.keypoints = people[column].keypoints
            track.keypointScores = people[column].keypointScores
            tracks += track
            ids[column] = track.id
            matched += track
        }
        tracks.filter { it !in matched }.forEach { it.missed++ }
        ended = tracks.filter { it.missed > params.maxMissed }.map { it.id }
        tracks = tracks.filterTo(mutableListOf()) { it.missed <= params.maxMissed }
        return ids
    }

    /** End every track; IDs keep counting up so an old ID never names a new person. */
    fun reset() {
        ended = tracks.map { it.id }
        tracks = mutableListOf()
    }

    private fun similarity(track: Track, person: Person, timestamp: Double): Double {
        val iou = boxIou(track.predictedBox(timestamp), person.box)
        val trackPoints = track.predictedKeypoints(timestamp) ?: return iou
        val trackScores = track.keypointScores ?: return iou
        val points = person.keypoints ?: return iou
        val scores = person.keypointScores ?: return iou
        val oks = keypointSimilarity(trackPoints, trackScores, points, scores, person.box) ?: return iou
        return (iou + oks) / 2
    }

    /**
     * OKS of keypoints `a` against `b` over the keypoints confident in both: mean(exp(-d^2 / (2 sigma^2 area)))
     * with the area of `bBox` (at least 1); null when fewer than `oksMinShared` are confident in both.
     */
    fun keypointSimilarity(a: DoubleArray, aScores: DoubleArray, b: DoubleArray, bScores: DoubleArray, bBox: DoubleArray): Double? {
        val area = maxOf((bBox[2] - bBox[0]) * (bBox[3] - bBox[1]), 1.0)
        var sum = 0.0
        var shared = 0
        for (k in aScores.indices) {
            if (aScores[k] < params.oksScoreThreshold || bScores[k] < params.oksScoreThreshold) continue
            val dx = a[2 * k] - b[2 * k]
            val dy = a[2 * k + 1] - b[2 * k + 1]
            sum += exp(-(dx * dx + dy * dy) / (2.0 * params.oksSigma * params.oksSigma * area))
            shared++
        }
        return if (shared < params.oksMinShared) null else sum / shared
    }

    private fun follow(track: Track, person: Person, timestamp: Double) {
        val dt = timestamp - track.time
        if (dt > 0) {
            val m = params.velocityMomentum
            track.velocity = DoubleArray(4) { m * track.velocity[it] + (1 - m) * ((person.box[it] - track.box[it]) / dt) }
        }
        track.box = person.box.copyOf()
        track.time = timestamp
        track.missed = 0
        if (person.keypoints != null && person.keypointScores != null) {
            track.keypoints = person.keypoints
            track.keypointScores = person.keypointScores
        }
    }
}
