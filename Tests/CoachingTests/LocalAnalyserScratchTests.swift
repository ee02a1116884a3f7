import XCTest
@testable import Coaching

final class LocalAnalyserScratchTests: XCTestCase {
    func testScratchHoldout() throws {
        let path = ProcessInfo.processInfo.environment["LA_SET"] ?? "/tmp/la/holdout.jsonl"
        let report = try LocalAnalyserEvaluation.load(path: path).run()
        print(report.table(title: "HOLDOUT", showMisses: true))
    }
}

final class LocalAnalyserScratchDebugTests: XCTestCase {
    func testScratchDebug() throws {
        let texts = (ProcessInfo.processInfo.environment["LA_DEBUG"] ?? "").components(separatedBy: "||")
        for text in texts where !text.isEmpty {
            let tokens = TextNormaliser.tokens(of: text)
            print("DEBUG \(text) -> \(tokens)")
            for rule in SituationRules.all where !rule.pattern.matchStarts(in: tokens).isEmpty {
                print("DEBUG    \(rule.type.rawValue) \(rule.weight) \(rule.pattern.source)")
            }
            print("DEBUG    evidence \(SituationScorer.evidence(messages: [text]).mapValues(\.score))")
        }
    }
}
