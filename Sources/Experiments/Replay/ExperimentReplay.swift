import Coaching
import Foundation

/// Offline replay: every customer message of past conversations analysed once per variant, with
/// the analyser the service is configured with, so an admin sees how variants differ (hint rate,
/// types, invalid output, tokens, cost) before any agent is exposed to them. Nothing is written to
/// the database.
public final class ExperimentReplay: @unchecked Sendable {
    public enum Analyser: Sendable {
        /// An OpenAI-compatible server; `price` turns its token counts into an estimated cost.
        case llm(OpenAIClient, model: String, temperature: Double, maxTokens: Int, price: PriceTable.Price)
        /// The built-in analyser: it ignores the prompt, so every variant gets the same answers.
        case local
    }

    public struct VariantResult: Sendable {
        public let variant: String
        public var analyses = 0
        public var hints = 0
        public var invalid = 0
        public var errors = 0
        public var promptTokens = 0
        public var completionTokens = 0
        public var cost = 0.0
        public var types: [String: Int] = [:]

        public var hintRate: Double? { analyses > errors ? Double(hints) / Double(analyses - errors) : nil }
        public var invalidRate: Double? { analyses > errors ? Double(invalid) / Double(analyses - errors) : nil }
    }

    private let analyser: Analyser
    private let enabledTypes: [HintType]
    private let language: String
    private let contextLimit: Int
    private let maxInFlight: Int
    private let condition = NSCondition()
    private var results: [String: VariantResult] = [:]
    private var inFlight = 0
    private var done = 0

    public init(analyser: Analyser, enabledTypes: [HintType], language: String, contextLimit: Int, maxInFlight: Int = 32) {
        self.analyser = analyser
        self.enabledTypes = enabledTypes
        self.language = language
        self.contextLimit = contextLimit
        self.maxInFlight = max(maxInFlight, 1)
    }

    /// Every analysis input the conversations hold: one per customer message, with the turns before it.
    public func inputs(_ conversations: [ReplayConversation]) -> [AnalysisInput] {
        conversations.flatMap { conversation in
            conversation.turns.indices.compactMap { index -> AnalysisInput? in
                let turn = conversation.turns[index]
                guard turn.speaker == .customer else { return nil }
                let context = Array(conversation.turns[max(0, index - contextLimit)..<index])
                return AnalysisInput(context: context, messages: [turn.text], enabledTypes: enabledTypes, language: language)
            }
        }
    }

    /// Runs every input through every variant; `progress(done, total)` is called after each analysis.
    public func run(_ inputs: [AnalysisInput], variants: [PromptTemplate],
                    progress: (Int, Int) -> Void) -> [VariantResult] {
        results = Dictionary(uniqueKeysWithValues: variants.map { ($0.name, VariantResult(variant: $0.name)) })
        let total = inputs.count * variants.count
        for input in inputs {
            for variant in variants {
                analyse(input, variant: variant)
                condition.lock()
                while inFlight >= maxInFlight { condition.wait() }
                let finished = done
                condition.unlock()
                progress(finished, total)
            }
        }
        condition.lock()
        while inFlight > 0 {
            condition.wait()
            let finished = done
            condition.unlock()
            progress(finished, total)
            condition.lock()
        }
        condition.unlock()
        progress(total, total)
        return variants.compactMap { results[$0.name] }
    }

    private func analyse(_ input: AnalysisInput, variant: PromptTemplate) {
        switch analyser {
        case .local:
            let output = (try? OutputValidator.validate(LocalAnalyser().analyse(input), enabledTypes: enabledTypes)) ?? .none
            record(variant.name) { result in
                if let type = output.hintType { result.hints += 1; result.types[type.rawValue, default: 0] += 1 }
            }
        case .llm(let client, let model, let temperature, let maxTokens, let price):
            let request = AnalysisRequest(template: variant, input: input, model: model, temperature: temperature,
                                          maxTokens: maxTokens).chat
            condition.lock()
            inFlight += 1
            condition.unlock()
            let types = enabledTypes
            client.submit(request) { [self] outcome in
                self.record(variant.name, finishing: true) { result in
                    switch outcome {
                    case .success(let response):
                        result.promptTokens += response.promptTokens
                        result.completionTokens += response.completionTokens
                        result.cost += price.cost(promptTokens: response.promptTokens, completionTokens: response.completionTokens)
                        do {
                            let output = try OutputValidator.parse(response.content, enabledTypes: types)
                            if let type = output.hintType { result.hints += 1; result.types[type.rawValue, default: 0] += 1 }
                        } catch {
                            result.invalid += 1
                        }
                    case .failure:
                        result.errors += 1
                    }
                }
            }
        }
    }

    private func record(_ variant: String, finishing: Bool = false, _ body: (inout VariantResult) -> Void) {
        condition.lock()
        body(&results[variant, default: VariantResult(variant: variant)])
        results[variant]?.analyses += 1
        done += 1
        if finishing { inFlight -= 1 }
        condition.broadcast()
        condition.unlock()
    }
}
