import Foundation
import Synchronization
import XCTest
@testable import Coaching

final class BackgroundPublisherTests: XCTestCase {
    /// A transport that blocks until released and records what it was given.
    private final class GatedTransport: HintPublisher, @unchecked Sendable {
        let gate = DispatchSemaphore(value: 0)
        let published = Mutex<[Int]>([])
        func publish(_ hint: Hint, language: String) {
            gate.wait()
            published.withLock { $0.append(hint.id) }
        }
    }

    private func hint(_ id: Int) -> Hint {
        Hint(id: id, conversationID: 1, agentID: 2, messageID: nil, hintType: "objection", hintText: "t",
             suggestions: [], modelUsed: nil, tokensUsed: 0, cost: 0, viewedAt: nil, feedback: nil,
             createdAt: "2026-01-01T00:00:00Z", messageBody: nil, createdAtEpoch: nil)
    }

    func testPublishReturnsWhileTheTransportIsStuck() {
        let transport = GatedTransport()
        let publisher = BackgroundPublisher(transport: transport, capacity: 10)
        let started = Date()
        for id in 1...5 { publisher.publish(hint(id), language: "en") }
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.5, "publish must not wait for the transport")
        for _ in 1...5 { transport.gate.signal() }
        publisher.close()
        XCTAssertEqual(transport.published.withLock { $0 }, [1, 2, 3, 4, 5], "in order, each once")
    }

    func testAFullQueueDropsInsteadOfBlockingAndCloseDeliversTheRest() {
        let transport = GatedTransport()
        let publisher = BackgroundPublisher(transport: transport, capacity: 2)
        publisher.publish(hint(1), language: "en")
        // The thread takes hint 1 and blocks in the transport; 2 and 3 fill the queue; 4 is dropped.
        Thread.sleep(forTimeInterval: 0.2)
        publisher.publish(hint(2), language: "en")
        publisher.publish(hint(3), language: "en")
        publisher.publish(hint(4), language: "en")
        for _ in 1...4 { transport.gate.signal() }
        publisher.close()
        let published = transport.published.withLock { $0 }
        XCTAssertEqual(published.first, 1)
        XCTAssertFalse(published.contains(4), "the queue held two; the fourth hint is left to polling")
        XCTAssertEqual(Set(published), [1, 2, 3])
    }

    func testNothingIsAcceptedAfterClose() {
        let transport = GatedTransport()
        let publisher = BackgroundPublisher(transport: transport, capacity: 10)
        publisher.close()
        transport.gate.signal()
        publisher.publish(hint(9), language: "en")
        Thread.sleep(forTimeInterval: 0.1)
        XCTAssertEqual(transport.published.withLock { $0 }, [])
    }
}
