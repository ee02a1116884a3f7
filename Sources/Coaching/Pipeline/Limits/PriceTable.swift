/// USD per 1M tokens, input and output separately. Defaults cover common OpenAI models; settings
/// may override any model and the price of unknown ones.
public struct PriceTable: Sendable, Equatable {
    public struct Price: Sendable, Equatable {
        public var inputPerMillion: Double
        public var outputPerMillion: Double

        public init(input: Double, output: Double) {
            inputPerMillion = input
            outputPerMillion = output
        }

        public func cost(promptTokens: Int, completionTokens: Int) -> Double {
            (Double(promptTokens) * inputPerMillion + Double(completionTokens) * outputPerMillion) / 1_000_000
        }
    }

    public static let defaults: [String: Price] = [
        "gpt-3.5-turbo": Price(input: 0.50, output: 1.50),
        "gpt-4o-mini": Price(input: 0.15, output: 0.60),
        "gpt-4o": Price(input: 2.50, output: 10.00),
        "gpt-4.1-mini": Price(input: 0.40, output: 1.60),
        "gpt-4.1-nano": Price(input: 0.10, output: 0.40),
        "gpt-4.1": Price(input: 2.00, output: 8.00),
        "gpt-4-turbo": Price(input: 10.00, output: 30.00),
        "gpt-4": Price(input: 30.00, output: 60.00),
    ]

    public var prices: [String: Price]
    public var unknownModelPrice: Price

    public init(overrides: [String: Price] = [:], unknownModelPrice: Price = Price(input: 10.00, output: 30.00)) {
        prices = Self.defaults.merging(overrides) { $1 }
        self.unknownModelPrice = unknownModelPrice
    }

    public func price(for model: String) -> (price: Price, known: Bool) {
        if let price = prices[model] { return (price, true) }
        return (unknownModelPrice, false)
    }
}
