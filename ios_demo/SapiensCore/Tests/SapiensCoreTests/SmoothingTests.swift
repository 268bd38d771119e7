import XCTest
@testable import SapiensCore

private struct OneEuroCase: Decodable {
    let minCutoff: Double
    let beta: Double
    let dCutoff: Double
    let speedScale: Double
    let resetBefore: [Int]
    let timestamps: [Double]
    let inputs: [[[Double]]]
    let outputs: [[[Double]]]
}

private struct SmoothingDefaults: Decodable {
    let groups: [String]
    let bodyParams: [Double]
    let handsParams: [Double]
    let faceParams: [Double]
}

private struct OneEuroFile: Decodable {
    let still: OneEuroCase
    let moving: OneEuroCase
    let noBetaReset: OneEuroCase
    let defaults: SmoothingDefaults
}

private struct KeypointNames: Decodable {
    let names: [String]
}

final class SmoothingTests: XCTestCase {
    private func golden() throws -> OneEuroFile {
        try GoldenVectors.load("tests/golden/one_euro.json", as: OneEuroFile.self)
    }

    /// Float64 in the SDK and here, the same operations in the same order: 1e-9 leaves room for libm only.
    private func replay(_ golden: OneEuroCase, _ name: String) {
        let params = OneEuroParams(minCutoff: golden.minCutoff, beta: golden.beta, dCutoff: golden.dCutoff)
        var filter = OneEuroFilter(params: [params, params])
        for (index, timestamp) in golden.timestamps.enumerated() {
            if golden.resetBefore.contains(index) {
                filter.reset()
            }
            let actual = filter.filter(golden.inputs[index].flatMap { $0 }, at: timestamp, speedScale: golden.speedScale)
            let expected = golden.outputs[index].flatMap { $0 }
            XCTAssertEqual(actual.count, expected.count, "\(name) sample \(index)")
            for (a, e) in zip(actual, expected) {
                XCTAssertEqual(a, e, accuracy: 1e-9, "\(name) sample \(index)")
            }
        }
    }

    func testStillPointMatchesTheSDK() throws {
        let still = try golden().still
        replay(still, "still")
    }

    func testMovingPointWithRepeatedTimeAndGapMatchesTheSDK() throws {
        let moving = try golden().moving
        replay(moving, "moving")
    }

    func testResetPassesTheNextSampleThrough() throws {
        let reset = try golden().noBetaReset
        replay(reset, "no_beta_reset")
    }

    func testKeypointGroupsAndDefaultsAreTheSDKs() throws {
        let defaults = try golden().defaults
        let names = try GoldenVectors.load("sdk/data/keypoints308.json", as: KeypointNames.self).names
        XCTAssertEqual(KeypointGroup.of(names: names).map(\.rawValue), defaults.groups)
        let sdk: [KeypointGroup: [Double]] = [.body: defaults.bodyParams, .hands: defaults.handsParams, .face: defaults.faceParams]
        for group in KeypointGroup.allCases {
            let params = group.defaultParams
            XCTAssertEqual([params.minCutoff, params.beta, params.dCutoff], sdk[group], group.rawValue)
        }
    }

    func testFirstSampleOfATrackPassesAndLaterOnesAreSmoothedTowardsIt() {
        var smoother = PoseSmoother(groups: [.body])
        let first = smoother.smooth(trackID: 1, keypoints: [SIMD2(10, 20)], boxHeight: 100, at: 0)
        XCTAssertEqual(first, [SIMD2(10, 20)])
        let second = smoother.smooth(trackID: 1, keypoints: [SIMD2(12, 20)], boxHeight: 100, at: 0.1)
        // Speed 20 px/s smoothed with a(1 Hz, 0.1 s); cut-off 0.5 + 5 |s| / 100; then y = a x + (1 - a) y_prev.
        let speed = smoothingFactor(cutoff: 1, dt: 0.1) * 20
        let weight = smoothingFactor(cutoff: 0.5 + 5 * speed / 100, dt: 0.1)
        XCTAssertEqual(Double(second[0].x), 10 + weight * 2, accuracy: 1e-5)
        XCTAssertEqual(second[0].y, 20)
        let newTrack = smoother.smooth(trackID: 2, keypoints: [SIMD2(50, 60)], boxHeight: 100, at: 0.1)
        XCTAssertEqual(newTrack, [SIMD2(50, 60)])  // a new track starts fresh
    }
}
