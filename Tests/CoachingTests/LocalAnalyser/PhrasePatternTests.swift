@testable import Coaching
import XCTest

final class PhrasePatternTests: XCTestCase {
    func testEveryRuleAndWordListPatternIsWellFormed() {
        for rule in SituationRules.all {
            XCTAssertEqual(PhrasePattern.problems(in: rule.pattern.source), [], rule.pattern.source)
        }
        XCTAssertEqual(PhrasePattern.problems(in: SituationRules.smallTalk.source), [])
        XCTAssertEqual(PhrasePattern.problems(in: SituationRules.interrogativeMarkers.source), [])
    }

    func testMalformedPatternsAreReportedWithTheReason() {
        let cases: [(String, String)] = [
            ("caro ^ demais", "^ must come first"),
            ("... caro", "... at an end"),
            ("caro ...", "... at an end"),
            ("[caro", "bad brackets"),
            ("caro||demais", "empty alternative"),
            ("[muito] [caro]", "every element is optional"),
            ("Caro", "not a normalised token"),
            ("não", "not a normalised token"),
            ("caro / ", "empty or has a double space"),
            ("caro  demais", "empty or has a double space"),
        ]
        for (source, reason) in cases {
            let problems = PhrasePattern.problems(in: source)
            XCTAssertTrue(problems.contains { $0.contains(reason) }, "\(source): \(problems)")
        }
    }

    func testWellFormedPatternsMatchAsDocumented() {
        let pattern = PhrasePattern("^ [muito] caro* ... concorrente / # reais")
        XCTAssertEqual(PhrasePattern.problems(in: pattern.source), [])
        XCTAssertEqual(pattern.matchStarts(in: TextNormaliser.tokens(of: "Caro demais pro concorrente")), [0])
        XCTAssertEqual(pattern.matchStarts(in: TextNormaliser.tokens(of: "custa 300 reais")), [1])
        XCTAssertEqual(pattern.matchStarts(in: TextNormaliser.tokens(of: "barato mesmo")), [])
    }
}
