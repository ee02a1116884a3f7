import XCTest
@testable import Coaching

final class OutputValidatorTests: XCTestCase {
    let all = HintType.allCases

    func testAcceptsTheContractAndStripsControlCharacters() throws {
        let output = try OutputValidator.parse(
            #"{"has_hint":true,"hint_type":"objection","hint_text":"Mostre o valor\u0007 antes\ndo preço.","suggestions":["Posso explicar?\u0000",""]}"#,
            enabledTypes: all)
        XCTAssertEqual(output.hintType, .objection)
        XCTAssertEqual(output.hintText, "Mostre o valor antes do preço.")
        XCTAssertEqual(output.suggestions, ["Posso explicar?"])
    }

    func testNoHintNeedsNothingElse() throws {
        XCTAssertEqual(try OutputValidator.parse(#"{"has_hint":false}"#, enabledTypes: all), .none)
    }

    func testAcceptsAFencedJSONBlock() throws {
        let output = try OutputValidator.parse("```json\n{\"has_hint\":true,\"hint_type\":\"question\",\"hint_text\":\"Answer it.\"}\n```",
                                               enabledTypes: all)
        XCTAssertEqual(output.hintType, .question)
    }

    func testRejectsEverythingOutsideTheContract() {
        let cases = [
            "not json",
            "[]",
            #"{"hint_type":"objection","hint_text":"x"}"#,
            #"{"has_hint":true,"hint_type":"banana","hint_text":"x"}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":""}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":"\#(String(repeating: "a", count: 281))"}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":"x","suggestions":["a","b","c","d"]}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":"x","suggestions":["\#(String(repeating: "a", count: 301))"]}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":"x","suggestions":"a"}"#,
            #"{"has_hint":true,"hint_type":"objection","hint_text":"x","suggestions":[1]}"#,
        ]
        for text in cases {
            XCTAssertThrowsError(try OutputValidator.parse(text, enabledTypes: all), text)
        }
    }

    func testRejectsADisabledType() {
        XCTAssertThrowsError(try OutputValidator.parse(
            #"{"has_hint":true,"hint_type":"objection","hint_text":"x"}"#, enabledTypes: [.question]))
    }

    func testCountsCharactersNotBytes() throws {
        let text = String(repeating: "ç", count: 280)
        let output = try OutputValidator.parse(#"{"has_hint":true,"hint_type":"question","hint_text":"\#(text)"}"#, enabledTypes: all)
        XCTAssertEqual(output.hintText.count, 280)
    }
}
