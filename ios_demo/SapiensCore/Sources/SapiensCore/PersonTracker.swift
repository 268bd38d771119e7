import Foundation

/// One detected person in a frame: box (x1, y1, x2, y2) and, when known, keypoints and their scores.
public struct Person {
    public let box: SIMD4<Double>
    public let keypoints: [SIMD2<Double>]?
    public let keypointScores: [Double]?

    public init(box: SIMD4<Double>, keypoints: [SIMD2<Double>]? = nil, keypointScores: [Double]? = nil) {
        self.box = box
        self.keypoints = keypoints
        self.keypointScores = keypointScores
    }
}

/// The tracker's constants, the SDK's defaults (`processing/tracking.py`).
public struct TrackerParams: Equatable {
    public var minSimilarity = 0.3
    public var maxMissed = 8
    public var velocityMomentum = 0.5
    public var oksSigma = 0.1
    public var oksScoreThreshold = 0.3
    public var oksMinShared = 3

    public init() {}
}

/// IoU of two xyxy boxes in continuous coordinates (area = w * h); 0 for an empty union.
public func boxIoU(_ a: SIMD4<Double>, _ b: SIMD4<Double>) -> Double {
    let inter = max(min(a.z, b.z) - max(a.x, b.x), 0) * max(min(a.w, b.w) - max(a.y, b.y), 0)
    let union = (a.z - a.x) * (a.w - a.y) + (b.z - b.x) * (b.w - b.y) - inter
    return union > 0 ? inter / union : 0
}

/// Stable person IDs across frames, the SDK's `PersonTracker`: each track is moved by its velocity to
/// the new timestamp, (track, person) pairs are scored by box IoU averaged with the keypoint
/// similarity (OKS) where both have enough confident keypoints, and the exact assignment of highest
/// total score pairs them (`Assignment`); pairs below `minSimilarity` stay unmatched. A person left
/// over starts a track (IDs from 1, never reused); a track missed more than `maxMissed` frames ends.
public struct PersonTracker {
    private struct Track {
        let id: Int
        var box: SIMD4<Double>
        var time: TimeInterval
        var velocity = SIMD4<Double>(repeating: 0)
        var keypoints: [SIMD2<Double>]?
        var keypointScores: [Double]?
        var missed = 0

        func predictedBox(at timestamp: TimeInterval) -> SIMD4<Double> {
            box + velocity * (timestamp - time)
        }

        /// The last keypoints moved with the predicted box centre.
        func predictedKeypoints(at timestamp: TimeInterval) -> [SIMD2<Double>]? {
            let shift = SIMD2<Double>(velocity.x + velocity.z, velocity.y + velocity.w) / 2 * (timestamp - time)
            return keypoints?.map { $0 + shift }
        }
    }

    public let params: TrackerParams
    private var tracks: [Track] = []
    private var nextID = 1
    /// IDs of the tracks that ended at the last `update` (or `reset`), in creation order.
    public private(set) var ended: [Int] = []

    public init(params: TrackerParams = TrackerParams()) {
        self.params = params
    }

    /// The IDs of this frame's `people` (one each, in order) at `timestamp` seconds.
    public mutating func update(_ people: [Person], at timestamp: TimeInterval) -> [Int] {
        let scores = tracks.map { track in people.map { similarity(track, $0, at: timestamp) } }
        var ids = [Int](repeating: 0, count: people.count)
        var matched = Set<Int>()
        for (row, assigned) in Assignment.maximize(scores, columns: people.count).enumerated() {
            guard let column = assigned, scores[row][column] >= params.minSimilarity else { continue }
            Self.follow(&tracks[row], people[column], at: timestamp, momentum: params.velocityMomentum)
            ids[column] = tracks[row].id
            matched.insert(tracks[row].id)
        }
        for column in people.indices where ids[column] == 0 {
            let person = people[column]
            tracks.append(Track(id: nextID, box: person.box, time: timestamp, keypoints: person.keypoints,
                                keypointScores: person.keypointScores))
            ids[column] = nextID
            matched.insert(nextID)
            nextID += 1
        }
        for index in tracks.indices where !matched.contains(tracks[index].id) {
            tracks[index].missed += 1
        }
        let maxMissed = params.maxMissed  // a local: the closures must not read self while tracks changes
        ended = tracks.filter { $0.missed > maxMissed }.map(\.id)
        tracks.removeAll { $0.missed > maxMissed }
        return ids
    }

    /// End every track; IDs keep counting up so an old ID never names a new person.
    public mutating func reset() {
        ended = tracks.map(\.id)
        tracks.removeAll()
    }

    /// OKS of keypoints `a` against `b` over the keypoints confident in both: mean(exp(-d^2 / (2 sigma^2 area)))
    /// with the area of `bBox` (at least 1); nil when fewer than `oksMinShared` are confident in both.
    public func keypointSimilarity(_ a: [SIMD2<Double>], _ aScores: [Double], _ b: [SIMD2<Double>], _ bScores: [Double],
                                   bBox: SIMD4<Double>) -> Double? {
        let area = max((bBox.z - bBox.x) * (bBox.w - bBox.y), 1)
        var sum = 0.0
        var shared = 0
        for k in aScores.indices where aScores[k] >= params.oksScoreThreshold && bScores[k] >= params.oksScoreThreshold {
            let d = a[k] - b[k]
            sum += exp(-(d.x * d.x + d.y * d.y) / (2 * params.oksSigma * params.oksSigma * area))
            shared += 1
        }
        return shared < params.oksMinShared ? nil : sum / Double(shared)
    }

    private func similarity(_ track: Track, _ person: Person, at timestamp: TimeInterval) -> Double {
        let iou = boxIoU(track.predictedBox(at: timestamp), person.box)
        guard let trackPoints = track.predictedKeypoints(at: timestamp), let trackScores = track.keypointScores,
              let points = person.keypoints, let scores = person.keypointScores,
              let oks = keypointSimilarity(trackPoints, trackScores, points, scores, bBox: person.box)
        else { return iou }
        return (iou + oks) / 2
    }

    private static func follow(_ track: inout Track, _ person: Person, at timestamp: TimeInterval, momentum: Double) {
        let dt = timestamp - track.time
        if dt > 0 {
            track.velocity = momentum * track.velocity + (1 - momentum) * ((person.box - track.box) / dt)
        }
        track.box = person.box
        track.time = timestamp
        track.missed = 0
        if let keypoints = person.keypoints, let scores = person.keypointScores {
            track.keypoints = keypoints
            track.keypointScores = scores
        }
    }
}
