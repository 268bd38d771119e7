import Foundation

/// The box (x1, y1, x2, y2) around one person's keypoints scored at least `threshold`, grown by 10 % of
/// its size on each side (keypoints stop short of the head top and the hands' ends), as the SDK's
/// `boxes_from_keypoints`; nil with fewer than `minPoints` confident keypoints.
public func boxFromKeypoints(_ keypoints: [SIMD2<Float>], scores: [Float], threshold: Float = 0.3,
                             minPoints: Int = 3) -> SIMD4<Double>? {
    let confident = keypoints.indices.filter { scores[$0] >= threshold }.map { SIMD2<Double>(keypoints[$0]) }
    guard confident.count >= minPoints, var low = confident.first else { return nil }
    var high = low
    for point in confident {
        low = pointwiseMin(low, point)
        high = pointwiseMax(high, point)
    }
    let margin = (high - low) * 0.1
    return SIMD4(lowHalf: low - margin, highHalf: high + margin)
}

/// The live view's video path, as the SDK's `video.PoseTracking`: the person decoded in each frame is
/// boxed by their confident keypoints, linked to the earlier frames by `PersonTracker` and smoothed per
/// track by `PoseSmoother` (a new person's first frame passes unchanged; ended tracks are forgotten).
public struct PoseTracking {
    private var tracker = PersonTracker()
    private var smoother: PoseSmoother

    public init(keypointNames: [String]) {
        smoother = PoseSmoother(groups: KeypointGroup.of(names: keypointNames))
    }

    /// The track ID and smoothed keypoints at `timestamp` seconds; nil (tracks age) when no one is confidently seen.
    public mutating func update(keypoints: [SIMD2<Float>], scores: [Float],
                                at timestamp: TimeInterval) -> (trackID: Int, keypoints: [SIMD2<Float>])? {
        let box = boxFromKeypoints(keypoints, scores: scores)
        let people = box.map { found in
            [Person(box: found, keypoints: keypoints.map { SIMD2<Double>($0) }, keypointScores: scores.map { Double($0) })]
        } ?? []
        let ids = tracker.update(people, at: timestamp)
        smoother.forget(tracker.ended)
        guard let found = box, let id = ids.first else { return nil }
        return (id, smoother.smooth(trackID: id, keypoints: keypoints, boxHeight: found.w - found.y, at: timestamp))
    }

    /// Forget everyone (a camera or bundle switch): new IDs, unsmoothed next frame.
    public mutating func reset() {
        tracker.reset()
        smoother.reset()
    }
}
