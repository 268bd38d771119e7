import Foundation
import XCTest

/// The golden vectors the Python SDK writes (tests/golden), read where they are: no copy to go stale.
enum GoldenVectors {
    /// The repository root: this file is ios_demo/SapiensCore/Tests/SapiensCoreTests/GoldenVectors.swift.
    static let repository: URL = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<5 {
            url = url.deletingLastPathComponent()
        }
        return url
    }()

    static func load<T: Decodable>(_ relativePath: String, as type: T.Type) throws -> T {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let data = try Data(contentsOf: repository.appendingPathComponent(relativePath))
        return try decoder.decode(type, from: data)
    }
}

/// Float32 values written exactly: parse as Double, then cast.
func point(_ values: [Double]) -> SIMD2<Float> {
    SIMD2<Float>(Float(values[0]), Float(values[1]))
}

func assertClose(_ actual: SIMD2<Float>, _ expected: SIMD2<Float>, tolerance: Float,
                 _ message: String, file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(actual.x, expected.x, accuracy: tolerance, "\(message) x", file: file, line: line)
    XCTAssertEqual(actual.y, expected.y, accuracy: tolerance, "\(message) y", file: file, line: line)
}
