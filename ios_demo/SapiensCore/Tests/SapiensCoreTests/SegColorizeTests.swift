import XCTest
@testable import SapiensCore

private struct ColorizeCase: Decodable {
    let labels: [[Int]]
    let colorsRgb: [[[Int]]]
    let imageBgr: [[[Int]]]
    let overlayBgr: [[[Int]]]
}

private struct ColorizeFile: Decodable {
    let colorize: ColorizeCase
}

/// The SDK's packaged class metadata: what `labels.colors_rgb` of a seg bundle's manifest holds.
private struct SegMetadata: Decodable {
    let colorsRgb: [[Int]]
}

final class SegColorizeTests: XCTestCase {
    private func fixtures() throws -> (ColorizeCase, SegmentationPalette) {
        let golden = try GoldenVectors.load("tests/golden/seg_colorize.json", as: ColorizeFile.self).colorize
        let metadata = try GoldenVectors.load("sdk/data/seg29.json", as: SegMetadata.self)
        let palette = try SegmentationPalette(colorsRGB: metadata.colorsRgb)
        return (golden, palette)
    }

    func testLabelsTakeTheirClassColours() throws {
        let (golden, palette) = try fixtures()
        let rgba = palette.rgba(labels: golden.labels.flatMap { $0.map { Int32($0) } })
        let expected = golden.colorsRgb.flatMap { $0.flatMap { $0 + [255] } }
        XCTAssertEqual(rgba.map { Int($0) }, expected)
    }

    func testOverlayBlendsHalfAndHalfRoundingLikeOpenCV() throws {
        let (golden, palette) = try fixtures()
        let base = golden.imageBgr.flatMap { $0.flatMap { $0.map { UInt8($0) } } }
        let colorsBGR = golden.labels.flatMap { $0.flatMap { label -> [UInt8] in
            let color = palette.colorsRGB[label]
            return [color.z, color.y, color.x]
        } }
        let blended = SegmentationPalette.blend(base: base, overlay: colorsBGR, opacity: 0.5)
        XCTAssertEqual(blended.map { Int($0) }, golden.overlayBgr.flatMap { $0.flatMap { $0 } })
    }

    func testClassIdsOutsideThePaletteStayTransparent() throws {
        let (_, palette) = try fixtures()
        XCTAssertEqual(palette.rgba(labels: [29, -1]), [UInt8](repeating: 0, count: 8))
        XCTAssertThrowsError(try SegmentationPalette(colorsRGB: [[0, 0]]))
        XCTAssertThrowsError(try SegmentationPalette(colorsRGB: [[0, 0, 256]]))
    }
}
