import CoreML

extension MLMultiArray {
    /// The values in row-major order of `shape`, whatever element type and strides Core ML chose
    /// (GPU and Neural Engine outputs can be fp16 and can pad their rows).
    func rowMajorFloats() -> [Float] {
        let dims = shape.map { $0.intValue }
        let steps = strides.map { $0.intValue }
        let count = dims.reduce(1, *)
        let type = dataType
        return withUnsafeBytes { raw -> [Float] in
            var values = [Float](repeating: 0, count: count)
            var index = [Int](repeating: 0, count: dims.count)
            for linear in 0..<count {
                var offset = 0
                for axis in 0..<dims.count {
                    offset += index[axis] * steps[axis]
                }
                values[linear] = MLMultiArray.element(raw, at: offset, type: type)
                var axis = dims.count - 1
                while axis >= 0 {
                    index[axis] += 1
                    if index[axis] < dims[axis] {
                        break
                    }
                    index[axis] = 0
                    axis -= 1
                }
            }
            return values
        }
    }

    private static func element(_ raw: UnsafeRawBufferPointer, at offset: Int, type: MLMultiArrayDataType) -> Float {
        switch type {
        case .float16:
            return Float(raw.load(fromByteOffset: offset * 2, as: Float16.self))
        case .double:
            return Float(raw.load(fromByteOffset: offset * 8, as: Double.self))
        case .int32:
            return Float(raw.load(fromByteOffset: offset * 4, as: Int32.self))
        case .float32:
            return raw.load(fromByteOffset: offset * 4, as: Float.self)
        @unknown default:
            return .nan  // a type newer than this reader: the decode then shows nothing rather than garbage
        }
    }
}
