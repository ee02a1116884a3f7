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

final class HintCacheContextTests: XCTestCase {
    func testContextDependentAnswersAreTheContextTypesAndShortNoHintReplies() {
        XCTAssertTrue(HintCache.dependsOnContext(hintType: .question, hasHint: true, normalised: "qual o prazo de entrega"))
        XCTAssertTrue(HintCache.dependsOnContext(hintType: .closingOpportunity, hasHint: true, normalised: "sim"))
        XCTAssertFalse(HintCache.dependsOnContext(hintType: .objection, hasHint: true, normalised: "achei caro"))
        XCTAssertTrue(HintCache.dependsOnContext(hintType: nil, hasHint: false, normalised: "sim pode ser"))
        XCTAssertFalse(HintCache.dependsOnContext(hintType: nil, hasHint: false, normalised: "vou verificar com a minha equipe"))
    }

    func testContextHashFollowsOnlyTheLastTurns() {
        let older = AnalysisInput.Turn(speaker: .customer, text: "Oi")
        let asked = AnalysisInput.Turn(speaker: .agent, text: "Posso fechar o pedido?")
        let answered = AnalysisInput.Turn(speaker: .customer, text: "Quero o plano anual")
        XCTAssertEqual(HintCache.contextHash([older, answered, asked]), HintCache.contextHash([answered, asked]))
        XCTAssertNotEqual(HintCache.contextHash([answered, asked]), HintCache.contextHash([asked, answered]))
        XCTAssertEqual(HintCache.contextHash([AnalysisInput.Turn(speaker: .agent, text: "Posso  FECHAR o pedido?")]),
                       HintCache.contextHash([asked]))
    }
}
