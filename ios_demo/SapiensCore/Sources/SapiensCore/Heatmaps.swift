import Foundation

/// K heatmaps of h x w float32 values, row-major (the model's `heatmaps` output without its batch axis).
public struct Heatmaps {
    public let count: Int
    public let height: Int
    public let width: Int
    public let values: [Float]

    public init(count: Int, height: Int, width: Int, values: [Float]) {
        precondition(values.count == count * height * width, "heatmap values do not match \(count)x\(height)x\(width)")
        self.count = count
        self.height = height
        self.width = width
        self.values = values
    }

    /// The values of heatmap `index`.
    public func map(_ index: Int) -> ArraySlice<Float> {
        let size = height * width
        return values[(index * size)..<((index + 1) * size)]
    }
}
