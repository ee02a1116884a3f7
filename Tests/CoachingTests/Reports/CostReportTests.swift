import XCTest
@testable import Coaching

final class CostReportTests: XCTestCase {
    func testTotalsPerModelAndVariantAddUpWithoutBinaryNoise() {
        let rows = [
            CostReport.Row(day: "2026-11-01", model: "gpt-4o-mini", variant: "concise", calls: 3, promptTokens: 300,
                           completionTokens: 60, cost: 0.1),
            CostReport.Row(day: "2026-11-01", model: "gpt-4o", variant: "default", calls: 1, promptTokens: 100,
                           completionTokens: 20, cost: 0.2),
            CostReport.Row(day: "2026-11-02", model: "gpt-4o-mini", variant: "default", calls: 2, promptTokens: 200,
                           completionTokens: 40, cost: 0.000001),
        ]
        let json = CostReport.Daily(days: 2, from: "2026-11-01", to: "2026-11-02", rows: rows).json
        XCTAssertEqual(json["total"]?["calls"], .int(6))
        XCTAssertEqual(json["total"]?["cost"], .double(0.300001))
        XCTAssertEqual(json["by_model"]?.arrayValue?.map { $0["model"] }, [.string("gpt-4o"), .string("gpt-4o-mini")])
        XCTAssertEqual(json["by_model"]?.arrayValue?.last?["cost"], .double(0.100001))
        XCTAssertEqual(json["by_variant"]?.arrayValue?.first?["variant"], .string("default"))
        XCTAssertEqual(json["by_variant"]?.arrayValue?.first?["calls"], .int(3))
        XCTAssertEqual(json["daily"]?.arrayValue?.count, 3)
        XCTAssertEqual(json["daily"]?.arrayValue?.first?["prompt_tokens"], .int(300))
    }
}
