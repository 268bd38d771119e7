package org.sapiens2.core

/** Each side of a keypoint box grows by this fraction of its size: keypoints stop short of the head top and the hands' ends. */
const val KEYPOINT_BOX_MARGIN = 0.1

/**
 * The box (x1, y1, x2, y2) around one person's keypoints scored at least `threshold`, grown by
 * [KEYPOINT_BOX_MARGIN] on each side, as the SDK's `boxes_from_keypoints`; null with fewer than `minPoints`.
 */
fun boxFromKeypoints(keypoints: FloatArray, scores: FloatArray, threshold: Float = 0.3f, minPoints: Int = 3): DoubleArray? {
    val confident = scores.indices.filter { scores[it] >= threshold }
    if (confident.size < minPoints) return null
    val xs = confident.map { keypoints[2 * it].toDouble() }
    val ys = confident.map { keypoints[2 * it + 1].toDouble() }
    val marginX = (xs.max() - xs.min()) * KEYPOINT_BOX_MARGIN
    val marginY = (ys.max() - ys.min()) * KEYPOINT_BOX_MARGIN
    return doubleArrayOf(xs.min() - marginX, ys.min() - marginY, xs.max() + marginX, ys.max() + marginY)
}

/** One frame's person after tracking: its ID and its smoothed keypoints (frame pixels, x, y pairs). */
class TrackedPose(val trackId: Int, val keypoints: FloatArray)

/**
 * The live view's video path, as the SDK's `video.PoseTracking`: the person decoded in each frame is
 * boxed by their confident keypoints, linked to the earlier frames by [PersonTracker] and smoothed
 * per track by [PoseSmoother] (a new person's first frame passes unchanged; ended tracks are forgotten).
 */
class PoseTracking(keypointNames: List<String>, params: Map<String, OneEuroParams> = KeypointGroups.DEFAULT_PARAMS) {
    private val tracker = PersonTracker()
    private val smoother = PoseSmoother(KeypointGroups.of(keypointNames), params)

    /** The tracked, smoothed pose at `timestamp` seconds; null (tracks age) when no one is confidently seen. */
    fun update(keypoints: FloatArray, scores: FloatArray, timestamp: Double): TrackedPose? {
        val box = boxFromKeypoints(keypoints, scores)
        val people = if (box == null) emptyList() else listOf(Person(box, DoubleArray(keypoints.size) { keypoints[it].toDouble() }, DoubleArray(scores.size) { scores[it].toDouble() }))
        val ids = tracker.update(people, timestamp)
        smoother.forget(tracker.ended)
        if (box == null) return null
        return TrackedPose(ids[0], smoother.smooth(ids[0], keypoints, box[3] - box[1], timestamp))
    }

    /** Forget everyone (a camera switch): new IDs, unsmoothed next frame. */
    fun reset() {
        tracker.reset()
        smoother.reset()
    }
}
