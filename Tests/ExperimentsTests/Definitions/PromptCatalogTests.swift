import Foundation
import XCTest
@testable import Experiments

final class PromptCatalogTests: XCTestCase {
    private var directory: URL!

    override func setUpWithError() throws {
        directory = FileManager.default.temporaryDirectory.appendingPathComponent("prompts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("experiments"),
                                                withIntermediateDirectories: true)
        for name in ["default", "short", "long"] {
            try write("\(name).system.mustache", "System \(name) {{#hint_types}}{{key}}{{/hint_types}}")
            try write("\(name).user.mustache", "{{{messages_json}}}")
        }
        try write("experiments/style.json", """
            {"key": "style", "control": "short", "variants": [{"name": "short", "weight": 1}, {"name": "long", "weight": 3}]}
            """)
    }

    override func tearDownWithError() throws {
        try? FileManager.default.removeItem(at: directory)
    }

    private func write(_ file: String, _ text: String) throws {
        try text.write(to: directory.appendingPathComponent(file), atomically: true, encoding: .utf8)
    }

    func testLoadsTemplatesAndExperimentDefinitions() throws {
        let contents = try PromptCatalog.load(directory.path)
        XCTAssertEqual(Set(contents.templates.keys), ["default", "short", "long"])
        let style = try XCTUnwrap(contents.experiment("style"))
        XCTAssertEqual(style.control, "short")
        XCTAssertEqual(style.variants.map(\.weight), [1, 3])
        XCTAssertEqual(style.initialStatus, .running)
        XCTAssertEqual(style.allocation, .hash)
    }

    func testABrokenTemplateIsReportedWithFileAndLine() throws {
        try write("long.system.mustache", "first line\n{{#hint_types}} never closed\n")
        XCTAssertThrowsError(try PromptCatalog.load(directory.path)) { error in
            XCTAssertTrue("\(error)".hasPrefix("long.system.mustache:"), "\(error)")
        }
    }

    func testAVariantWithoutATemplateIsRejected() throws {
        try FileManager.default.removeItem(at: directory.appendingPathComponent("long.user.mustache"))
        try FileManager.default.removeItem(at: directory.appendingPathComponent("long.system.mustache"))
        XCTAssertThrowsError(try PromptCatalog.load(directory.path)) { error in
            XCTAssertTrue("\(error)".contains("variant \"long\" has no template"), "\(error)")
        }
    }

    func testAChangeThatDoesNotValidateKeepsThePreviousVersionServing() throws {
        let catalog = try PromptCatalog(directory: directory.path, checkInterval: .zero)
        let before = try XCTUnwrap(catalog.current().templates["long"]).hash
        try write("long.system.mustache", "{{#broken}")
        XCTAssertEqual(catalog.current().templates["long"]?.hash, before)
        try write("long.system.mustache", "A new wording {{language}}")
        XCTAssertNotEqual(catalog.current().templates["long"]?.hash, before)
    }

    func testDefinitionsAreValidatedFieldByField() {
        let cases: [(String, String)] = [
            (#"{"key": "Bad Key", "variants": [{"name": "a"}, {"name": "b"}]}"#, "\"key\""),
            (#"{"key": "k", "variants": [{"name": "a"}]}"#, "at least two variants"),
            (#"{"key": "k", "variants": [{"name": "a"}, {"name": "a"}]}"#, "listed twice"),
            (#"{"key": "k", "variants": [{"name": "a", "weight": 0}, {"name": "b"}]}"#, "weight must be a positive number"),
            (#"{"key": "k", "control": "z", "variants": [{"name": "a"}, {"name": "b"}]}"#, "control \"z\""),
            (#"{"key": "k", "status": "done", "variants": [{"name": "a"}, {"name": "b"}]}"#, "\"status\""),
            (#"{"key": "k", "allocation": "random", "variants": [{"name": "a"}, {"name": "b"}]}"#, "\"allocation\""),
            ("{not json", "not valid JSON"),
        ]
        for (text, expected) in cases {
            XCTAssertThrowsError(try ExperimentDefinition.parse(text, file: "x.json")) { error in
                XCTAssertTrue("\(error)".hasPrefix("x.json: "), "\(error)")
                XCTAssertTrue("\(error)".contains(expected), "\(error) should mention \(expected)")
            }
        }
    }
}
