import XCTest
@testable import JSON

final class JSONParserTests: XCTestCase {
    func testParsesNestedDocumentKeepingKeyOrder() throws {
        let value = try JSONParser.parse(#"{"b":1,"a":[true,null,"x",2.5],"c":{"d":-3}}"#)
        XCTAssertEqual(value.objectValue?.map(\.0), ["b", "a", "c"])
        XCTAssertEqual(value["a"], .array([.bool(true), .null, .string("x"), .double(2.5)]))
        XCTAssertEqual(value["c"]?["d"]?.intValue, -3)
    }

    func testDecodesEscapesAndSurrogatePairs() throws {
        let value = try JSONParser.parse(#""a\"b\\c\/d\n\u00e7\ud83d\ude00""#)
        XCTAssertEqual(value.stringValue, "a\"b\\c/d\nç😀")
    }

    func testRejectsMalformedInput() {
        for text in ["", "{", "{\"a\":}", "[1,]", "01", "1.", "tru", "\"\\x\"", "{\"a\":1} x", "\"\\ud800\"", "NaN"] {
            XCTAssertThrowsError(try JSONParser.parse(text), "accepted \(text)")
        }
    }

    func testRejectsInvalidUTF8AndRawControlCharacters() {
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0xC3, 0x28, 0x22]))
        XCTAssertThrowsError(try JSONParser.parse([0x22, 0x01, 0x22]))
    }

    func testLimitsNestingDepth() {
        let deep = String(repeating: "[", count: 100) + String(repeating: "]", count: 100)
        XCTAssertThrowsError(try JSONParser.parse(deep)) { error in
            XCTAssertTrue((error as? JSONParser.Failure)?.message.contains("nesting") ?? false)
        }
        XCTAssertNoThrow(try JSONParser.parse(String(repeating: "[", count: 10) + String(repeating: "]", count: 10)))
    }

    func testWriterDoesNotEscapeSlashesOrUnicode() {
        let text = JSONWriter.string(.object([("t", .string("ação/😀 \"q\"\n\u{01}"))]))
        XCTAssertEqual(text, #"{"t":"ação/😀 \"q\"\n\u0001"}"#)
    }

    func testWriterRoundTripsNumbers() throws {
        let value = JSONValue.array([.int(-7), .double(0.000123), .double(2), .double(.nan)])
        XCTAssertEqual(JSONWriter.string(value), "[-7,0.000123,2,null]")
        XCTAssertEqual(try JSONParser.parse(JSONWriter.string(.double(1.5))), .double(1.5))
    }
}
