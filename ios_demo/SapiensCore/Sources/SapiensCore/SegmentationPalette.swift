import Foundation

/// The body-part class colours of a bundle (`labels.colors_rgb`) and the SDK's overlay blend.
public struct SegmentationPalette {
    public let colorsRGB: [SIMD3<UInt8>]

    public enum PaletteError: Error, Equatable {
        case notRGB(classIndex: Int)
        case outOfRange(classIndex: Int)
    }

    /// Colours as the manifest lists them: one [r, g, b] of 0...255 per class.
    public init(colorsRGB: [[Int]]) throws {
        var colors: [SIMD3<UInt8>] = []
        for (index, color) in colorsRGB.enumerated() {
            guard color.count == 3 else { throw PaletteError.notRGB(classIndex: index) }
            guard color.allSatisfy({ (0...255).contains($0) }) else { throw PaletteError.outOfRange(classIndex: index) }
            colors.append(SIMD3<UInt8>(UInt8(color[0]), UInt8(color[1]), UInt8(color[2])))
        }
        self.colorsRGB = colors
    }

    /// Interleaved RGBA bytes of a label map; `alpha` for every class, fully transparent for ids the palette lacks.
    public func rgba(labels: [Int32], alpha: UInt8 = 255) -> [UInt8] {
        var pixels = [UInt8](repeating: 0, count: labels.count * 4)
        for (index, label) in labels.enumerated() where label >= 0 && Int(label) < colorsRGB.count {
            let color = colorsRGB[Int(label)]
            pixels[4 * index] = color.x
            pixels[4 * index + 1] = color.y
            pixels[4 * index + 2] = color.z
            pixels[4 * index + 3] = alpha
        }
        return pixels
    }

    /// `(1 - opacity) base + opacity overlay` per byte, rounded half to even (OpenCV's addWeighted).
    public static func blend(base: [UInt8], overlay: [UInt8], opacity: Float) -> [UInt8] {
        zip(base, overlay).map { pair -> UInt8 in
            let value = Float(pair.0) * (1 - opacity) + Float(pair.1) * opacity
            return UInt8(min(max(value.rounded(.toNearestOrEven), 0), 255))
        }
    }
}
