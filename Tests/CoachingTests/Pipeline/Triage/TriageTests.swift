import XCTest
@testable import Coaching

final class TriageTests: XCTestCase {
    private var coaching: CoachingSettings = {
        var settings = CoachingSettings()
        settings.enabled = true
        settings.minMessageLength = 5
        settings.skipIfAgentTyping = true
        settings.maxQueueSize = 100
        return settings
    }()
    private let service = ServiceSettings()

    private func subject(sender: String = "contact", type: String = "text", length: Int = 30, agent: Int? = 7,
                         age: Int = 2, ahead: Int = 0) -> Triage.Subject {
        Triage.Subject(senderType: sender, messageType: type, characterCount: length, assignedAgentID: agent,
                       ageSeconds: age, ahead: ahead)
    }

    func testAnOrdinaryCustomerMessageIsAnalysed() {
        XCTAssertEqual(Triage.decide(subject(), facts: .init(), coaching: coaching, service: service), .analyse)
    }

    func testCoachingDisabledFiltersBeforeAnythingElse() {
        coaching.enabled = false
        XCTAssertEqual(Triage.screen(subject(sender: "agent", length: 1, agent: nil), coaching: coaching, service: service),
                       .filter(.disabled))
    }

    func testNotesAndAgentMessagesAreNotTheClients() {
        XCTAssertEqual(Triage.screen(subject(type: "note"), coaching: coaching, service: service), .filter(.notClient))
        XCTAssertEqual(Triage.screen(subject(sender: "agent"), coaching: coaching, service: service), .filter(.notClient))
        coaching.analyzeOnlyClientMessages = false
        XCTAssertEqual(Triage.screen(subject(sender: "agent"), coaching: coaching, service: service), .analyse)
        XCTAssertEqual(Triage.screen(subject(type: "note"), coaching: coaching, service: service), .filter(.notClient))
    }

    func testMessagesShorterThanTheMinimumAreTooShort() {
        XCTAssertEqual(Triage.screen(subject(length: 4), coaching: coaching, service: service), .filter(.tooShort))
        XCTAssertEqual(Triage.screen(subject(length: 5), coaching: coaching, service: service), .analyse)
        coaching.minMessageLength = 0
        XCTAssertEqual(Triage.screen(subject(length: 0), coaching: coaching, service: service), .filter(.tooShort),
                       "an empty message is never analysed")
    }

    func testConversationWithoutAgentIsUnassigned() {
        XCTAssertEqual(Triage.screen(subject(agent: nil), coaching: coaching, service: service), .filter(.unassigned))
    }

    func testMessageOlderThanTheMaximumAgeIsStale() {
        XCTAssertEqual(Triage.screen(subject(age: service.maxMessageAgeSeconds + 1), coaching: coaching, service: service),
                       .filter(.stale))
        XCTAssertEqual(Triage.screen(subject(age: service.maxMessageAgeSeconds), coaching: coaching, service: service), .analyse)
    }

    func testMaxQueueSizeMessagesAheadShedsTheMessage() {
        XCTAssertEqual(Triage.screen(subject(ahead: 100), coaching: coaching, service: service), .filter(.queueFull))
        XCTAssertEqual(Triage.screen(subject(ahead: 99), coaching: coaching, service: service), .analyse)
    }

    func testAnsweredMessageIsFilteredEvenWithALaterMessage() {
        let facts = Triage.Facts(answered: true, laterQueueID: 42, agentTyping: true)
        XCTAssertEqual(Triage.decide(subject(), facts: facts, coaching: coaching, service: service), .filter(.answered))
    }

    func testALaterCustomerMessageAbsorbsThisOne() {
        let facts = Triage.Facts(laterQueueID: 42, agentTyping: true)
        XCTAssertEqual(Triage.decide(subject(), facts: facts, coaching: coaching, service: service), .merge(into: 42))
    }

    func testTypingAgentDefersAYoungMessageAndFiltersAnOldOne() {
        let typing = Triage.Facts(agentTyping: true)
        XCTAssertEqual(Triage.decide(subject(age: service.typingDeferMaxSeconds - 1), facts: typing,
                                     coaching: coaching, service: service), .postpone(seconds: 1))
        XCTAssertEqual(Triage.decide(subject(age: service.typingDeferMaxSeconds), facts: typing,
                                     coaching: coaching, service: service), .filter(.agentTyping))
        coaching.skipIfAgentTyping = false
        XCTAssertEqual(Triage.decide(subject(), facts: typing, coaching: coaching, service: service), .analyse)
    }

    func testDecideAppliesTheScreenFirst() {
        let facts = Triage.Facts(answered: true)
        XCTAssertEqual(Triage.decide(subject(agent: nil), facts: facts, coaching: coaching, service: service),
                       .filter(.unassigned))
    }
}
