import XCTest
@testable import FCGIApp

final class DescriptorBudgetTests: XCTestCase {
    func testTheDefaultsFitWithRoomToSpare() throws {
        let configuration = try AppConfiguration(values: ["COACHING_THREADS": "4"])
        let budget = DescriptorBudget(configuration, serving: true)
        XCTAssertNoThrow(try budget.check())
        // 32 reserve + 384 FastCGI + 4 request + 2 workers x 2 + 1 push + 256 LLM x 2.
        XCTAssertEqual(budget.total, 32 + 384 + 4 + 4 + 1 + 512)
    }

    func testTooManyConnectionsAreRefusedNamingTheParts() throws {
        let configuration = try AppConfiguration(values: ["COACHING_FASTCGI_CONNECTIONS": "600",
                                                          "COACHING_LLM_CONNECTIONS": "200"])
        XCTAssertThrowsError(try DescriptorBudget(configuration, serving: true).check()) { error in
            let text = "\(error)"
            XCTAssertTrue(text.contains("more than the 1024"), text)
            XCTAssertTrue(text.contains("COACHING_FASTCGI_CONNECTIONS") && text.contains("COACHING_LLM_CONNECTIONS"), text)
        }
    }

    func testAWorkerProcessHoldsNoFastCGIConnections() throws {
        let configuration = try AppConfiguration(values: ["COACHING_FASTCGI_CONNECTIONS": "900",
                                                          "COACHING_LLM_CONNECTIONS": "400"])
        XCTAssertThrowsError(try DescriptorBudget(configuration, serving: true).check())
        XCTAssertNoThrow(try DescriptorBudget(configuration, serving: false).check())
    }

    func testRequestsOnlyServeNeedsNoLLMConnections() throws {
        let configuration = try AppConfiguration(values: ["COACHING_WORKER_THREADS": "0",
                                                          "COACHING_FASTCGI_CONNECTIONS": "900",
                                                          "COACHING_LLM_CONNECTIONS": "450"])
        XCTAssertNoThrow(try DescriptorBudget(configuration, serving: true).check())
    }

    func testConnectionSlotsStopAtTheLimitAndComeBack() {
        let count = ConnectionCount(limit: 2)
        XCTAssertTrue(count.open())
        XCTAssertTrue(count.open())
        XCTAssertFalse(count.open(), "the third waits in the backlog")
        count.closed()
        XCTAssertTrue(count.open())
        XCTAssertEqual(count.current, 2)
    }
}
