import XCTest
@testable import SapiensCore

private struct ResizeInput: Decodable {
    let imageBgr: [[[Int]]]
}

private struct ResizeCase: Decodable {
    let inputSizeWh: [Int]
    let resizedBgr: [[[Int]]]
    let normalizedNchw: [[[[Double]]]]
    let contentShapeHw: [Int]?
    let paddingLrtb: [Int]?
}

private struct ResizeFile: Decodable {
    let input: ResizeInput
    let stretchShrink: ResizeCase
    let stretchEnlarge: ResizeCase
    let letterbox: ResizeCase
}

/// The pixel resampling itself (OpenCV INTER_AREA/CUBIC/LINEAR) is not ported: the app resamples the
/// camera frame with Core Image and the Core ML graph normalises; these check the geometry and the maths.
final class ResizeNormalizeTests: XCTestCase {
    // The SDK's ImageNet statistics x 255, RGB (tests/golden/README.md).
    private let normalizer = PixelNormalizer(mean: [123.675, 116.28, 103.53], std: [58.395, 57.12, 57.375])

    func testNormalizationIsBitIdentical() throws {
        let file = try GoldenVectors.load("tests/golden/resize_normalize.json", as: ResizeFile.self)
        for golden in [file.stretchShrink, file.stretchEnlarge, file.letterbox] {
            let bytes = golden.resizedBgr.flatMap { $0.flatMap { $0.map { UInt8($0) } } }
            let planar = normalizer.planarRGB(bgr: bytes, width: golden.inputSizeWh[0], height: golden.inputSizeWh[1])
            let expected = golden.normalizedNchw[0].flatMap { $0.flatMap { $0.map { Float($0) } } }
            XCTAssertEqual(planar, expected)
        }
    }

    func testLetterboxGeometry() throws {
        let file = try GoldenVectors.load("tests/golden/resize_normalize.json", as: ResizeFile.self)
        let golden = file.letterbox
        let geometry = LetterboxGeometry(imageWidth: file.input.imageBgr[0].count, imageHeight: file.input.imageBgr.count,
                                         inputWidth: golden.inputSizeWh[0], inputHeight: golden.inputSizeWh[1])
        XCTAssertEqual([geometry.contentHeight, geometry.contentWidth], golden.contentShapeHw)
        XCTAssertEqual([geometry.left, geometry.right, geometry.top, geometry.bottom], golden.paddingLrtb)
        // The padding rows of the golden model input are black.
        for row in 0..<geometry.top {
            XCTAssertTrue(golden.resizedBgr[row].allSatisfy { $0 == [0, 0, 0] })
        }
    }
}
