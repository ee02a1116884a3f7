import XCTest
@testable import Coaching

final class ActivityReportTests: XCTestCase {
    func testMinuteLabelsAreCivilTimes() {
        XCTAssertEqual(ActivityReport.label(epochSeconds: 0), "1970-01-01 00:00")
        XCTAssertEqual(ActivityReport.label(epochSeconds: 951_782_400), "2000-02-29 00:00") // leap day
        XCTAssertEqual(ActivityReport.label(epochSeconds: 1_795_947_000), "2026-11-29 10:10")
        // a -03:00 session: midnight UTC is 21:00 the day before
        XCTAssertEqual(ActivityReport.label(epochSeconds: 1_795_910_400 - 3 * 3600), "2026-11-28 21:00")
        XCTAssertEqual(ActivityReport.label(epochSeconds: -60), "1969-12-31 23:59")
    }

    func testCacheHitRateCountsOnlyAnalysedMessages() {
        var activity = ActivityReport.Activity(period: .day, hintsByType: [],
                                               outcomes: [("hint", 6), ("cached", 2), ("no_hint", 2), ("filtered:too_short", 50)],
                                               analysesPerMinute: [], pending: 0, processing: 0)
        XCTAssertEqual(activity.cacheHitRate.hits, 2)
        XCTAssertEqual(activity.cacheHitRate.lookups, 10)
        XCTAssertEqual(activity.cacheHitRate.rate, 0.2)
        activity.outcomes = [("merged", 3)]
        XCTAssertNil(activity.cacheHitRate.rate)
        XCTAssertEqual(activity.json(language: "en")["cache"]?["hit_rate"], .null)
    }
}
