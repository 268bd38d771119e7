import XCTest
@testable import SapiensCore

private struct HeatmapCase: Decodable {
    let inputSizeWh: [Int]
    let heatmapSizeWh: [Int]
    let blurKernelSize: Int
    let heatmaps: [[[Double]]]
    let integerPeaks: [[Double]]
    let keypoints: [[Double]]
    let scores: [Double]
}

private struct HeatmapFile: Decodable {
    let udp: HeatmapCase
}

final class HeatmapDecodeTests: XCTestCase {
    private func loadCase() throws -> (HeatmapCase, Heatmaps) {
        let golden = try GoldenVectors.load("tests/golden/heatmap_decode.json", as: HeatmapFile.self).udp
        let values = golden.heatmaps.flatMap { $0.flatMap { $0.map { Float($0) } } }
        let heatmaps = Heatmaps(count: golden.heatmaps.count, height: golden.heatmapSizeWh[1],
                                width: golden.heatmapSizeWh[0], values: values)
        return (golden, heatmaps)
    }

    func testIntegerPeaksAndScoresAreExact() throws {
        let (golden, heatmaps) = try loadCase()
        let (peaks, scores) = HeatmapDecoder.maxima(heatmaps)
        XCTAssertEqual(peaks, golden.integerPeaks.map(point))
        XCTAssertEqual(scores, golden.scores.map { Float($0) })
    }

    func testDarkRefinedKeypointsInTheCodecFrame() throws {
        let (golden, heatmaps) = try loadCase()
        let (keypoints, scores) = HeatmapDecoder.decode(heatmaps, inputWidth: golden.inputSizeWh[0],
                                                        inputHeight: golden.inputSizeWh[1],
                                                        kernelSize: golden.blurKernelSize)
        XCTAssertEqual(scores, golden.scores.map { Float($0) })
        for (index, (actual, expected)) in zip(keypoints, golden.keypoints.map(point)).enumerated() {
            assertClose(actual, expected, tolerance: 1e-4, "keypoint \(index)")
        }
    }

    func testKernelIsOpenCVsSigmaTwoGaussian() {
        let kernel = GaussianBlur.kernel(size: 11)
        XCTAssertEqual(kernel.reduce(0, +), 1, accuracy: 1e-6)
        // sigma = 0.3 * (5 - 1) + 0.8 = 2: neighbouring weights differ by exp((2i + 1) / 8).
        XCTAssertEqual(Double(kernel[5] / kernel[4]), exp(1.0 / 8.0), accuracy: 1e-6)
        XCTAssertEqual(Double(kernel[4] / kernel[3]), exp(3.0 / 8.0), accuracy: 1e-6)
        XCTAssertEqual(kernel, Array(kernel.reversed()))
    }
}
