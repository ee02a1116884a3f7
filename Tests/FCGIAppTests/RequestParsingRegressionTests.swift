import Coaching
import Foundation
import XCTest
import JSON
@testable import FCGIApp

/// Replays the inputs kept for the request-parsing fuzzer (fuzz/regressions, fuzz/corpus) through
/// the same exercise the fuzzer runs: a trap in any parser fails (crashes) this test.
final class RequestParsingRegressionTests: XCTestCase {
    private static let fuzzDirectory = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("fuzz")

    private func inputs(in folder: String) throws -> [(String, [UInt8])] {
        let directory = Self.fuzzDirectory.appendingPathComponent(folder)
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { !$0.hasSuffix(".md") }.sorted()
        return try names.map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
    }

    func testKeptRegressionInputsParseWithoutTrapping() throws {
        let kept = try inputs(in: "regressions")
        XCTAssertFalse(kept.isEmpty)
        for (_, bytes) in kept { RequestParsingExercise.run(bytes) }
    }

    func testSeedCorpusParsesWithoutTrapping() throws {
        let seeds = try inputs(in: "corpus/request-parsing")
        XCTAssertGreaterThan(seeds.count, 5)
        for (_, bytes) in seeds { RequestParsingExercise.run(bytes) }
    }

    func testHundredThousandOpenBracketsAreANestingErrorNotAStackOverflow() {
        XCTAssertThrowsError(try JSONParser.parse(Array(repeating: UInt8(ascii: "["), count: 100_000))) { error in
            let failure = error as? JSONParser.Failure
            XCTAssertEqual(failure?.message, "nesting deeper than \(JSONParser.defaultMaxDepth) levels")
        }
    }

    func testParamsCopyKeepsOnlyTheReadNamesAndTheFirstOccurrence() {
        let names: [String] = ["REQUEST_METHOD=POST", "NOEQUALS", "=", "HTTP_X_OTHER=1", "REQUEST_METHOD=GET",
                               "QUERY_STRING=a=b"]
        var entries: [UnsafeMutablePointer<CChar>?] = names.map { name in name.withCString { strdup($0) } }
        entries.append(nil)
        defer { entries.forEach { free($0) } }
        let params = entries.withUnsafeMutableBufferPointer { FastCGIParams.copy($0.baseAddress) }
        XCTAssertEqual(params, ["REQUEST_METHOD": "POST", "QUERY_STRING": "a=b"])
    }
}
