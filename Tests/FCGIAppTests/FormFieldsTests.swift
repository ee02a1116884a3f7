import XCTest
import Coaching
@testable import FCGIApp

final class FormFieldsTests: XCTestCase {
    func testDecodesPlainPairsAndPercentEscapes() throws {
        let form = try FormFields(decoding: "a=1&b=hello+world&c=%C3%A7%2F&d", source: "test")
        XCTAssertEqual(form.string("a"), "1")
        XCTAssertEqual(form.string("b"), "hello world")
        XCTAssertEqual(form.string("c"), "ç/")
        XCTAssertEqual(form.string("d"), "")
    }

    func testDecodesPHPBracketNames() throws {
        let form = try FormFields(decoding: "a[b]=1&a[c][]=x&a[c][]=y&list[]=1&list[]=2", source: "test")
        XCTAssertEqual(form.json["a"]?["b"]?.stringValue, "1")
        XCTAssertEqual(form.json["a"]?["c"], .array([.string("x"), .string("y")]))
        XCTAssertEqual(form.json["list"], .array([.string("1"), .string("2")]))
    }

    func testFirstOccurrenceWins() throws {
        XCTAssertEqual(try FormFields(decoding: "id=1&id=2", source: "test").string("id"), "1")
    }

    func testRejectsBadEscapesAndInvalidUTF8() {
        XCTAssertThrowsError(try FormFields(decoding: "a=%zz", source: "test"))
        XCTAssertThrowsError(try FormFields(decoding: "a=%C3%28", source: "test"))
        XCTAssertThrowsError(try FormFields(decoding: "a[b]x]=1", source: "test"))
    }

    func testBodyFieldsReadTextSpellingsOfNumbersAndBooleans() throws {
        let fields = try FormFields(decoding: "hint_id=12&helpful=false&n=abc", source: "test").fields
        XCTAssertEqual(try fields.positiveID("hint_id"), 12)
        XCTAssertEqual(try fields.bool("helpful"), false)
        XCTAssertThrowsError(try fields.int("n"))
        XCTAssertThrowsError(try fields.positiveID("missing"))
    }
}
