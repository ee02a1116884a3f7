import XCTest
@testable import Coaching

final class JobRetryPolicyTests: XCTestCase {
    func testRetriesWithGrowingWaitUntilMaxAttemptsThenGivesUp() {
        let policy = JobRetryPolicy(maxAttempts: 3)
        XCTAssertEqual(policy.next(afterAttempt: 1), .retry(afterSeconds: 1))
        XCTAssertEqual(policy.next(afterAttempt: 2), .retry(afterSeconds: 2))
        XCTAssertEqual(policy.next(afterAttempt: 3), .giveUp)
        XCTAssertEqual(policy.next(afterAttempt: 4), .giveUp)
    }

    func testFollowsTheMaxAttemptsSetting() {
        var service = ServiceSettings()
        service.maxAttempts = 5
        XCTAssertEqual(JobRetryPolicy(service: service).next(afterAttempt: 4), .retry(afterSeconds: 4))
        XCTAssertEqual(JobRetryPolicy(service: service).next(afterAttempt: 5), .giveUp)
    }

    func testAtLeastOneAttempt() {
        XCTAssertEqual(JobRetryPolicy(maxAttempts: 0).next(afterAttempt: 1), .giveUp)
    }
}
