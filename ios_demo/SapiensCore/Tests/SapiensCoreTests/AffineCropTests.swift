import XCTest
@testable import SapiensCore

private struct AffineCase: Decodable {
    let bboxXyxy: [Double]
    let inputSizeWh: [Int]
    let bboxCenter: [Double]
    let bboxScale: [Double]
    let matrix: [[Double]]
    let interpolation: String
    let pointsImage: [[Double]]
    let pointsCrop: [[Double]]
    let decodedKeypoints: [[Double]]
    let decodedKeypointsImage: [[Double]]
}

private struct AffineFile: Decodable {
    let shrink: AffineCase
    let enlarge: AffineCase
}

final class AffineCropTests: XCTestCase {
    private func cases() throws -> [(String, AffineCase)] {
        let file = try GoldenVectors.load("tests/golden/affine_crop.json", as: AffineFile.self)
        return [("shrink", file.shrink), ("enlarge", file.enlarge)]
    }

    private func makeCrop(_ golden: AffineCase) -> TopDownCrop {
        let box = golden.bboxXyxy.map { Float($0) }
        return TopDownCrop(box: SIMD4<Float>(box[0], box[1], box[2], box[3]),
                           inputWidth: golden.inputSizeWh[0], inputHeight: golden.inputSizeWh[1], padding: 1.25)
    }

    func testCentreScaleAndMatrixAreBitIdentical() throws {
        for (name, golden) in try cases() {
            let crop = makeCrop(golden)
            XCTAssertEqual(crop.center, point(golden.bboxCenter), name)
            XCTAssertEqual(crop.scale, point(golden.bboxScale), name)
            let matrix = crop.matrix
            XCTAssertEqual(Float(matrix.a), Float(golden.matrix[0][0]), name)
            XCTAssertEqual(Float(matrix.b), Float(golden.matrix[0][1]), name)
            XCTAssertEqual(Float(matrix.tx), Float(golden.matrix[0][2]), name)
            XCTAssertEqual(Float(matrix.c), Float(golden.matrix[1][0]), name)
            XCTAssertEqual(Float(matrix.d), Float(golden.matrix[1][1]), name)
            XCTAssertEqual(Float(matrix.ty), Float(golden.matrix[1][2]), name)
            XCTAssertEqual(crop.isShrinking, golden.interpolation == "area", name)
        }
    }

    func testPointsMapBothWays() throws {
        for (name, golden) in try cases() {
            let crop = makeCrop(golden)
            for (image, cropped) in zip(golden.pointsImage, golden.pointsCrop) {
                assertClose(crop.imageToCrop(point(image)), point(cropped), tolerance: 1e-4, "\(name) image->crop")
                assertClose(crop.cropToImage(point(cropped)), point(image), tolerance: 1e-4, "\(name) crop->image")
            }
        }
    }

    func testDecodedKeypointsMapToImagePixels() throws {
        for (name, golden) in try cases() {
            let crop = makeCrop(golden)
            for (keypoint, image) in zip(golden.decodedKeypoints, golden.decodedKeypointsImage) {
                assertClose(crop.keypointToImage(point(keypoint)), point(image), tolerance: 1e-4, name)
            }
        }
    }

    func testBottomLeftOriginMapsPixelCentresLikeTheTopLeftMap() throws {
        let golden = try cases()[0].1
        let crop = makeCrop(golden)
        let sourceHeight = 24  // the golden input image is 24 x 32 (rows x columns)
        let flipped = crop.matrix.bottomLeftOrigin(sourceHeight: sourceHeight, destinationHeight: crop.inputHeight)
        for image in golden.pointsImage {
            let mapped = crop.matrix.apply(SIMD2<Double>(image[0], image[1]))
            let input = SIMD2<Double>(image[0] + 0.5, Double(sourceHeight) - image[1] - 0.5)
            let expected = SIMD2<Double>(mapped.x + 0.5, Double(crop.inputHeight) - mapped.y - 0.5)
            let actual = flipped.apply(input)
            XCTAssertEqual(actual.x, expected.x, accuracy: 1e-9)
            XCTAssertEqual(actual.y, expected.y, accuracy: 1e-9)
        }
    }
}
