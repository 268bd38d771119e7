import XCTest
@testable import SapiensCore

final class RateMeterTests: XCTestCase {
    func testRateOverTheWindow() {
        var meter = RateMeter(window: 3)
        XCTAssertNil(meter.rate)
        meter.record(0)
        XCTAssertNil(meter.rate)
        meter.record(0.1)
        meter.record(0.2)
        XCTAssertEqual(meter.rate!, 10, accuracy: 1e-9)
        meter.record(1.2)  // the window now holds 0.1, 0.2, 1.2: two intervals in 1.1 s
        XCTAssertEqual(meter.rate!, 2 / 1.1, accuracy: 1e-9)
    }
}
