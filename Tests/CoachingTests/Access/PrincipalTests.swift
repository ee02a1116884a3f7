import XCTest
@testable import Coaching

final class PrincipalTests: XCTestCase {
    func testAgentsReadOnlyTheirOwnData() throws {
        let agent = Principal(userID: 7, role: .agent)
        XCTAssertEqual(try agent.agentScope(requested: nil), 7)
        XCTAssertEqual(try agent.agentScope(requested: 7), 7)
        XCTAssertThrowsError(try agent.agentScope(requested: 8))
    }

    func testSupervisorsMayNameAnotherAgent() throws {
        XCTAssertEqual(try Principal(userID: 2, role: .supervisor).agentScope(requested: 9), 9)
        XCTAssertEqual(try Principal(userID: 2, role: .admin).agentScope(requested: 9), 9)
    }

    func testServiceWithoutUserCannotActAsAgent() {
        XCTAssertThrowsError(try Principal(userID: nil, role: .service).agentScope(requested: nil))
    }

    func testHintSuggestionsAreAlwaysAnArray() {
        XCTAssertEqual(Hint.parseSuggestions(nil), [])
        XCTAssertEqual(Hint.parseSuggestions("not json"), [])
        XCTAssertEqual(Hint.parseSuggestions(#"{"a":1}"#), [])
        XCTAssertEqual(Hint.parseSuggestions(#"["a",2,{"text":"b"}]"#), ["a", "b"])
    }
}
