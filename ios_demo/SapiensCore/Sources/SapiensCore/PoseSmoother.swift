import Foundation

/// The smoothing group of each keypoint and the SDK's default One-Euro parameters per group
/// (`processing/smoothing.py`; docs/video.md measured them): the body, the hands (small, fast,
/// jittery finger joints) and the dense face set (slow, with jitter that shows).
public enum KeypointGroup: String, CaseIterable {
    case body
    case hands
    case face

    /// Keypoints from this one on are the dense face set.
    static let firstFaceKeypoint = "center_of_glabella"

    public var defaultParams: OneEuroParams {
        switch self {
        case .body: return OneEuroParams(minCutoff: 0.5, beta: 5, dCutoff: 1)
        case .hands: return OneEuroParams(minCutoff: 0.5, beta: 10, dCutoff: 1)
        case .face: return OneEuroParams(minCutoff: 0.3, beta: 8, dCutoff: 1)
        }
    }

    /// The group of each keypoint, in model channel order, from the manifest's keypoint names.
    public static func of(names: [String]) -> [KeypointGroup] {
        let firstFace = names.firstIndex(of: firstFaceKeypoint) ?? names.count
        return names.enumerated().map { index, name -> KeypointGroup in
            if index >= firstFace {
                return .face
            }
            return name.contains("thumb") || name.contains("finger") ? .hands : .body
        }
    }
}

/// One One-Euro filter per tracked person over its keypoints, parameters per keypoint group, speeds
/// divided by the person's box height so that the same parameters suit a close-up and a far person.
public struct PoseSmoother {
    private let perCoordinate: [OneEuroParams]
    private var filters: [Int: OneEuroFilter] = [:]

    public init(groups: [KeypointGroup], params: (KeypointGroup) -> OneEuroParams = { $0.defaultParams }) {
        // x and y of one keypoint share its group's parameters.
        perCoordinate = groups.flatMap { group in [params(group), params(group)] }
    }

    /// Smoothed keypoints of the person under `trackID`, whose box is `boxHeight` pixels high.
    public mutating func smooth(trackID: Int, keypoints: [SIMD2<Float>], boxHeight: Double,
                                at timestamp: TimeInterval) -> [SIMD2<Float>] {
        var filter = filters[trackID] ?? OneEuroFilter(params: perCoordinate)
        let flat = keypoints.flatMap { [Double($0.x), Double($0.y)] }
        let smoothed = filter.filter(flat, at: timestamp, speedScale: max(boxHeight, 1))
        filters[trackID] = filter
        return keypoints.indices.map { SIMD2<Float>(Float(smoothed[2 * $0]), Float(smoothed[2 * $0 + 1])) }
    }

    /// Drop the filters of tracks that ended.
    public mutating func forget(_ trackIDs: [Int]) {
        for id in trackIDs {
            filters[id] = nil
        }
    }

    /// Drop every filter: the next frame passes through unchanged.
    public mutating func reset() {
        filters.removeAll()
    }
}
