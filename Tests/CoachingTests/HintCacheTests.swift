import XCTest
@testable import Coaching

final class HintCacheTests: XCTestCase {
    func testNormalisationFoldsCaseAccentsAndPunctuation() {
        XCTAssertEqual(HintCache.normalise("  Está CARO!!  Não, é   caro... "), "esta caro nao e caro")
    }

    func testSimilarTextsShareABandAndDifferentScopesNever() {
        let a = HintCache.words(HintCache.normalise("achei muito caro o plano anual o concorrente cobra menos pelo mesmo pacote"))
        let b = a.union(["hoje"])
        let c = HintCache.words(HintCache.normalise("qual o prazo de entrega para o interior de minas gerais"))
        let keysA = Set(HintCache.bandKeys(words: a, scope: "s1"))
        XCTAssertFalse(keysA.isDisjoint(with: HintCache.bandKeys(words: b, scope: "s1")))
        XCTAssertTrue(keysA.isDisjoint(with: HintCache.bandKeys(words: c, scope: "s1")))
        XCTAssertTrue(keysA.isDisjoint(with: HintCache.bandKeys(words: a, scope: "s2")))
        XCTAssertGreaterThan(HintCache.jaccard(a, b), 0.9)
        XCTAssertLessThan(HintCache.jaccard(a, c), 0.2)
    }

    func testScopeSeparatesModelVariantTemplateTypesAndLanguage() {
        let base = HintCache.Scope(model: "m", variant: "v", templateHash: "t", enabledTypes: [.objection, .question], language: "pt-BR")
        XCTAssertEqual(base.hash, HintCache.Scope(model: "m", variant: "v", templateHash: "t",
                                                  enabledTypes: [.question, .objection], language: "PT-br").hash)
        for other in [
            HintCache.Scope(model: "m2", variant: "v", templateHash: "t", enabledTypes: [.objection, .question], language: "pt-BR"),
            HintCache.Scope(model: "m", variant: "v2", templateHash: "t", enabledTypes: [.objection, .question], language: "pt-BR"),
            HintCache.Scope(model: "m", variant: "v", templateHash: "t2", enabledTypes: [.objection, .question], language: "pt-BR"),
            HintCache.Scope(model: "m", variant: "v", templateHash: "t", enabledTypes: [.objection], language: "pt-BR"),
            HintCache.Scope(model: "m", variant: "v", templateHash: "t", enabledTypes: [.objection, .question], language: "en"),
        ] {
            XCTAssertNotEqual(base.hash, other.hash)
        }
    }
}
