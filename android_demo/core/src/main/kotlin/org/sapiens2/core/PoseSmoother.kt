package org.sapiens2.core

/**
 * Keypoint smoothing for the live view: one One-Euro filter per tracked person, parameters per
 * keypoint group (body, hands, face), speeds divided by the person's box height so that the same
 * parameters suit a close-up and a far person. A port of the SDK's `processing/smoothing.py`.
 */
object KeypointGroups {
    const val BODY = "body"
    const val HANDS = "hands"
    const val FACE = "face"

    /** The SDK's defaults (docs/video.md measured them). */
    val DEFAULT_PARAMS: Map<String, OneEuroParams> = mapOf(
        BODY to OneEuroParams(minCutoff = 0.5, beta = 5.0, dCutoff = 1.0),
        HANDS to OneEuroParams(minCutoff = 0.5, beta = 10.0, dCutoff = 1.0),
        FACE to OneEuroParams(minCutoff = 0.3, beta = 8.0, dCutoff = 1.0),
    )

    /** Keypoints from this one on are the dense face set. */
    private const val FIRST_FACE_KEYPOINT = "center_of_glabella"

    /** The group of each keypoint, in model channel order, from the manifest's keypoint names. */
    fun of(names: List<String>): List<String> {
        val firstFace = names.indexOf(FIRST_FACE_KEYPOINT).let { if (it < 0) names.size else it }
        return names.mapIndexed { index, name ->
            when {
                index >= firstFace -> FACE
                "thumb" in name || "finger" in name -> HANDS
                else -> BODY
            }
        }
    }
}

/** Smooths the keypoints of tracked people: `smooth(trackId, keypoints, boxHeight, timestamp)`. */
class PoseSmoother(groups: List<String>, params: Map<String, OneEuroParams> = KeypointGroups.DEFAULT_PARAMS) {
    // x and y of one keypoint share its group's parameters.
    private val perCoordinate = groups.flatMap { group -> requireNotNull(params[group]) { "no smoothing parameters for '$group'" }.let { listOf(it, it) } }
    private val filters = HashMap<Int, OneEuroFilter>()

    /** Smoothed copy of one person's keypoints (x, y pairs) under track `trackId`, whose box is `boxHeight` pixels high. */
    fun smooth(trackId: Int, keypoints: FloatArray, boxHeight: Double, timestamp: Double): FloatArray {
        val filter = filters.getOrPut(trackId) { OneEuroFilter(perCoordinate) }
        val smoothed = filter.filter(DoubleArray(keypoints.size) { keypoints[it].toDouble() }, timestamp, maxOf(boxHeight, 1.0))
        return FloatArray(smoothed.size) { smoothed[it].toFloat() }
    }

    /** Drop the filters of tracks that ended. */
    fun forget(trackIds: Collection<Int>) {
        trackIds.forEach { filters.remove(it) }
    }

    /** Drop every filter: the next frame passes through unchanged. */
    fun reset() = filters.clear()
}
