import XCTest
@testable import SapiensCore

private struct TrackerFrame: Decodable {
    let timestamp: Double
    let boxes: [[Double]]
    let keypoints: [[[Double]]]?
    let keypointScores: [[Double]]?
    let expectedIds: [Int]
    let expectedEnded: [Int]
}

private struct TrackerCase: Decodable {
    let frames: [TrackerFrame]
}

private struct TrackerConstants: Decodable {
    let minSimilarity: Double
    let maxMissed: Int
    let velocityMomentum: Double
    let oksSigma: Double
    let oksScoreThreshold: Double
    let oksMinShared: Int
}

private struct TrackerFile: Decodable {
    let parameters: TrackerConstants
    let crossing: TrackerCase
    let keypoints: TrackerCase
}

final class TrackerTests: XCTestCase {
    private func golden() throws -> TrackerFile {
        try GoldenVectors.load("tests/golden/tracker.json", as: TrackerFile.self)
    }

    /// Track IDs and ended tracks are integers: they must agree exactly.
    private func replay(_ golden: TrackerCase, _ name: String) {
        var tracker = PersonTracker()
        for (index, frame) in golden.frames.enumerated() {
            let people = frame.boxes.indices.map { i in
                Person(box: SIMD4(frame.boxes[i][0], frame.boxes[i][1], frame.boxes[i][2], frame.boxes[i][3]),
                       keypoints: frame.keypoints?[i].map { SIMD2($0[0], $0[1]) },
                       keypointScores: frame.keypointScores?[i])
            }
            let ids = tracker.update(people, at: frame.timestamp)
            XCTAssertEqual(ids, frame.expectedIds, "\(name) frame \(index) ids")
            XCTAssertEqual(tracker.ended, frame.expectedEnded, "\(name) frame \(index) ended")
        }
    }

    func testCrossingPeopleKeepTheirIDsAndEndAfterMaxMissed() throws {
        let crossing = try golden().crossing
        replay(crossing, "crossing")
    }

    func testKeypointsTellApartPeopleWithTheSameBox() throws {
        let stacked = try golden().keypoints
        replay(stacked, "keypoints")
    }

    func testConstantsAreTheSDKs() throws {
        let sdk = try golden().parameters
        let ours = TrackerParams()
        XCTAssertEqual(ours.minSimilarity, sdk.minSimilarity)
        XCTAssertEqual(ours.maxMissed, sdk.maxMissed)
        XCTAssertEqual(ours.velocityMomentum, sdk.velocityMomentum)
        XCTAssertEqual(ours.oksSigma, sdk.oksSigma)
        XCTAssertEqual(ours.oksScoreThreshold, sdk.oksScoreThreshold)
        XCTAssertEqual(ours.oksMinShared, sdk.oksMinShared)
    }

    func testIoUByHand() {
        // 10 x 10 boxes overlapping in a 5 x 10 strip: 50 / (100 + 100 - 50).
        XCTAssertEqual(boxIoU(SIMD4(0, 0, 10, 10), SIMD4(5, 0, 15, 10)), 1.0 / 3.0, accuracy: 1e-12)
        XCTAssertEqual(boxIoU(SIMD4(0, 0, 0, 0), SIMD4(0, 0, 0, 0)), 0)
    }

    func testAssignmentBeatsTheGreedyPairingAndLeavesExtraRowsOut() {
        // Greedy takes 0.9 first (total 1.0); the best pairing is the off-diagonal (total 1.6).
        XCTAssertEqual(Assignment.maximize([[0.9, 0.8], [0.8, 0.1]], columns: 2), [1, 0])
        XCTAssertEqual(Assignment.maximize([[0.1, 0.2], [0.9, 0.3], [0.5, 0.6]], columns: 2), [nil, 0, 1])
        XCTAssertEqual(Assignment.maximize([[0.1, 0.2, 0.7]], columns: 3), [2])
    }

    func testAssignmentTotalEqualsTheBestOfEveryPairing() {
        var generator = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let rows = Int.random(in: 1...5, using: &generator)
            let columns = Int.random(in: 1...5, using: &generator)
            let weights = (0..<rows).map { _ in (0..<columns).map { _ in Double.random(in: 0..<1, using: &generator) } }
            let pairs = Assignment.maximize(weights, columns: columns)
            let used = pairs.compactMap { $0 }
            XCTAssertEqual(used.count, min(rows, columns))
            XCTAssertEqual(Set(used).count, used.count)
            let total = pairs.enumerated().reduce(0.0) { sum, pair in sum + (pair.element.map { weights[pair.offset][$0] } ?? 0) }
            var taken = [Bool](repeating: false, count: columns)
            let best = bestTotal(weights, row: 0, taken: &taken, needed: min(rows, columns))
            XCTAssertEqual(total, best, accuracy: 1e-12)
        }
    }

    /// Best total over every way to pair `needed` more rows from `row` on with untaken columns.
    private func bestTotal(_ weights: [[Double]], row: Int, taken: inout [Bool], needed: Int) -> Double {
        if needed == 0 {
            return 0
        }
        if weights.count - row < needed {
            return -.infinity
        }
        var best = bestTotal(weights, row: row + 1, taken: &taken, needed: needed)  // this row unpaired
        for column in taken.indices where !taken[column] {
            taken[column] = true
            best = max(best, weights[row][column] + bestTotal(weights, row: row + 1, taken: &taken, needed: needed - 1))
            taken[column] = false
        }
        return best
    }

    func testOnePersonKeepsOneIDIsSmoothedAndResetStartsANewID() {
        var tracking = PoseTracking(keypointNames: ["nose", "left_wrist", "right_wrist", "left_thumb4"])
        let confident: [Float] = [0.9, 0.9, 0.9, 0.9]
        let first: [SIMD2<Float>] = [SIMD2(100, 100), SIMD2(140, 200), SIMD2(60, 200), SIMD2(150, 210)]
        let start = tracking.update(keypoints: first, scores: confident, at: 0)
        XCTAssertEqual(start?.trackID, 1)
        XCTAssertEqual(start?.keypoints, first)  // the first frame passes unchanged
        var jittered = first
        jittered[0].x += 3
        let next = tracking.update(keypoints: jittered, scores: confident, at: 1.0 / 30)
        XCTAssertEqual(next?.trackID, 1)
        let x = next?.keypoints[0].x ?? 0
        XCTAssertTrue(x > 100 && x < 103, "pulled towards the last frame: \(x)")
        let nobody = tracking.update(keypoints: first, scores: [0.1, 0.1, 0.1, 0.1], at: 0.1)
        XCTAssertNil(nobody)
        tracking.reset()
        let after = tracking.update(keypoints: first, scores: confident, at: 0.2)
        XCTAssertNotEqual(after?.trackID, 1)
    }

    func testKeypointBoxByHand() {
        // Confident points span x 10..30, y 20..60; 10 % margin each side; the 0.1-score point is left out.
        let box = boxFromKeypoints([SIMD2(10, 20), SIMD2(30, 60), SIMD2(20, 40), SIMD2(500, 500)], scores: [0.9, 0.8, 0.3, 0.1])
        XCTAssertEqual(box, SIMD4(8, 16, 32, 64))
        XCTAssertNil(boxFromKeypoints([SIMD2(10, 20), SIMD2(30, 60)], scores: [0.9, 0.8]))
    }
}

/// A seeded generator (SplitMix64), so that the random assignment cases are the same on every run.
private struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
