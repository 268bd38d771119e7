import Foundation

/// Where an image sits inside a letterboxed model input (the SDK's `letterbox`): normal, pointmap and albedo bundles.
public struct LetterboxGeometry: Equatable {
    public let contentWidth: Int
    public let contentHeight: Int
    public let left: Int
    public let right: Int
    public let top: Int
    public let bottom: Int

    /// scale = min(W_in / W, H_in / H), the content size truncated, the smaller half of the padding left/top.
    public init(imageWidth: Int, imageHeight: Int, inputWidth: Int, inputHeight: Int) {
        let scale = min(Double(inputWidth) / Double(imageWidth), Double(inputHeight) / Double(imageHeight))
        contentWidth = Int(Double(imageWidth) * scale)
        contentHeight = Int(Double(imageHeight) * scale)
        let padWidth = inputWidth - contentWidth
        let padHeight = inputHeight - contentHeight
        left = padWidth / 2
        right = padWidth - padWidth / 2
        top = padHeight / 2
        bottom = padHeight - padHeight / 2
    }
}
