import XCTest
@testable import Coaching

final class HealthReportTests: XCTestCase {
    func testHealthyWhenNothingWaitsAndSpendIsUnderTheCaps() {
        var report = HealthReport(databaseReachable: true)
        report.queueDepth = 0
        report.liveWorkers = 1
        report.openCircuits = 0
        report.hourSpent = 0.5
        report.hourCap = 1
        report.daySpent = 2
        report.dayCap = 10
        XCTAssertEqual(report.degradedReasons, [])
        XCTAssertEqual(report.json["status"]?.stringValue, "ok")
    }

    func testEachDegradedStateNamesItsReason() {
        var report = HealthReport(databaseReachable: true)
        report.queueDepth = 3
        report.liveWorkers = 0
        report.oldestPendingSeconds = HealthReport.backlogSeconds + 1
        report.openCircuits = 1
        report.hourSpent = 1
        report.hourCap = 1
        report.daySpent = 0
        report.dayCap = 0
        XCTAssertEqual(report.degradedReasons, ["no_live_worker", "queue_backlog", "llm_circuit_open",
                                                "hourly_cost_cap_reached", "daily_cost_cap_reached"])
        XCTAssertEqual(report.json["status"]?.stringValue, "degraded")
        XCTAssertTrue(report.isHealthy)
    }

    func testUnreachableDatabaseIsUnavailable() {
        let report = HealthReport(databaseReachable: false)
        XCTAssertFalse(report.isHealthy)
        XCTAssertEqual(report.json["status"]?.stringValue, "unavailable")
    }

    func testReadsTheSubscriberCountOfAnNchanStatusPage() {
        let page = "total published messages: 12\nstored messages: 3\nshared memory used: 16K\nchannels: 2\nsubscribers: 5\nredis pending commands: 0\n"
        XCTAssertEqual(NchanPublisher.subscribers(inStatusPage: page), 5)
        XCTAssertNil(NchanPublisher.subscribers(inStatusPage: "not a status page"))
    }
}
