/// Adds up the weights of the situation rules found in the customer's text, per hint type.
/// Each rule counts once however often it matches; a negatable rule preceded by a negator does
/// not count; interrogative-only rules count only in sentences that ask something.
enum SituationScorer {
    /// How much one hint type scored, and the facet of its heaviest rule (what the hint talks about).
    struct Evidence: Sendable, Equatable {
        var score: Double
        var facet: SituationFacet
        var facetWeight: Double
    }

    /// Bonus for a question type when a message that asks something also names a topic.
    static let interrogativeBonus = 0.4
    /// Context turns may reinforce a situation the analysed messages already show, never create one.
    static let contextFactor = 0.25
    static let contextCap = 1.0
    /// Very long messages are only read up to this many tokens each.
    static let maxTokensPerMessage = 400

    static func evidence(messages: [String], context: [String] = []) -> [HintType: Evidence] {
        var result = score(messages)
        guard !context.isEmpty, !result.isEmpty else { return result }
        let contextual = score(context)
        for (type, extra) in contextual {
            guard var current = result[type] else { continue }
            current.score += min(extra.score * contextFactor, contextCap)
            result[type] = current
        }
        return result
    }

    private static func score(_ messages: [String]) -> [HintType: Evidence] {
        var matched: Set<Int> = []
        var askedAbout = false
        var openQuestion = false
        for message in messages {
            var tokens = TextNormaliser.tokens(of: message)
            if tokens.count > maxTokensPerMessage { tokens = Array(tokens.prefix(maxTokensPerMessage)) }
            guard !tokens.isEmpty else { continue }
            let sentences = Sentence.split(tokens)
            for (index, rule) in SituationRules.all.enumerated() where !matched.contains(index) {
                if matches(rule, in: tokens, sentences: sentences) {
                    matched.insert(index)
                    if rule.type == .question { askedAbout = true }
                }
            }
            if sentences.contains(where: { $0.interrogative && isContentQuestion(Array(tokens[$0.range])) }) {
                openQuestion = true
            }
        }
        var result: [HintType: Evidence] = [:]
        for index in matched.sorted() {
            let rule = SituationRules.all[index]
            if var current = result[rule.type] {
                current.score += rule.weight
                if rule.weight > current.facetWeight {
                    current.facet = rule.facet
                    current.facetWeight = rule.weight
                }
                result[rule.type] = current
            } else {
                result[rule.type] = Evidence(score: rule.weight, facet: rule.facet, facetWeight: rule.weight)
            }
        }
        if openQuestion {
            if var question = result[.question] {
                question.score = max(question.score, openQuestionWeight)
                result[.question] = question
            } else {
                result[.question] = Evidence(score: openQuestionWeight, facet: .product, facetWeight: openQuestionWeight)
            }
            askedAbout = true
        }
        if askedAbout { result[.question]?.score += interrogativeBonus }
        return result
    }

    /// A question about something concrete that no topic rule names ("o curso tem certificado?",
    /// "is it a hybrid?") still deserves a hint; small talk ("tudo joia?") does not.
    static let openQuestionWeight = 0.8

    static func isContentQuestion(_ sentence: [String]) -> Bool {
        let words = sentence.filter { !TextNormaliser.isPunctuation($0) }
        guard SituationRules.smallTalk.matchStarts(in: words).isEmpty else { return false }
        let content = words.filter { $0.count >= 4 && !$0.allSatisfy(\.isNumber) && !LanguageDetector.isFunctionWord($0) && !SituationRules.nonTopicWords.contains($0) }
        if content.count >= 2 { return true }
        // One topic word is enough only in an explicit question that opens like one ("is it a hybrid?").
        guard content.count == 1, sentence.contains(TextNormaliser.questionMark), let first = words.first else { return false }
        return SituationRules.yesNoOpeners.contains(first) || SituationRules.interrogativeOpeners.contains(first)
    }

    /// A sentence of a message: its token range and whether it asks something.
    struct Sentence {
        let range: Range<Int>
        let interrogative: Bool

        static func split(_ tokens: [String]) -> [Sentence] {
            var sentences: [Sentence] = []
            var start = 0
            func close(_ end: Int) {
                guard end > start else { return }
                let part = Array(tokens[start..<end])
                sentences.append(Sentence(range: start..<end, interrogative: isInterrogative(part)))
            }
            for (index, token) in tokens.enumerated() {
                switch token {
                case TextNormaliser.questionMark:
                    close(index + 1)
                    start = index + 1
                case TextNormaliser.sentenceEnd, TextNormaliser.barrier:
                    close(index)
                    start = index + 1
                default:
                    break
                }
            }
            close(tokens.count)
            return sentences
        }
    }

    static func isInterrogative(_ tokens: [String]) -> Bool {
        if tokens.contains(TextNormaliser.questionMark) { return true }
        guard let first = tokens.first(where: { !TextNormaliser.isPunctuation($0) }) else { return false }
        return SituationRules.interrogativeOpeners.contains(first) || !SituationRules.interrogativeMarkers.matchStarts(in: tokens).isEmpty
    }

    private static func matches(_ rule: SituationRule, in tokens: [String], sentences: [Sentence]) -> Bool {
        for span in rule.pattern.matchSpans(in: tokens) {
            if rule.condition != .always {
                let interrogative = sentences.first(where: { $0.range.contains(span.lowerBound) })?.interrogative ?? false
                if rule.condition == .interrogative && !interrogative { continue }
                if rule.condition == .statement && interrogative { continue }
            }
            if rule.negatable && isPreceded(tokens, before: span.lowerBound, byAnyOf: SituationRules.negators) { continue }
            if !rule.blockers.isEmpty && isPreceded(tokens, before: span.lowerBound, byAnyOf: rule.blockers) { continue }
            if !rule.excludes.isEmpty && tokens[span].contains(where: { rule.excludes.contains($0) }) { continue }
            return true
        }
        return false
    }

    private static func isPreceded(_ tokens: [String], before start: Int, byAnyOf words: Set<String>) -> Bool {
        var index = start - 1
        var seen = 0
        while index >= 0, seen < SituationRules.negationWindow {
            let token = tokens[index]
            if token == TextNormaliser.barrier || token == TextNormaliser.sentenceEnd { return false }
            if words.contains(token) { return true }
            index -= 1
            seen += 1
        }
        return false
    }
}
