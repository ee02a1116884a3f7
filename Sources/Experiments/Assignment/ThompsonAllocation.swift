import Foundation

/// Adaptive allocation for agents not yet assigned: draw once from each variant's
/// Beta(1 + helpful, 1 + not helpful) posterior and take the highest draw. Arms that look better get
/// more new agents while uncertain arms still get some; assigned agents never move.
public struct ThompsonAllocation<Source: RandomNumberGenerator> {
    private var random: Source

    public init(random: Source) {
        self.random = random
    }

    public mutating func choose(_ variants: [String], ratings: [String: (helpful: Int, notHelpful: Int)]) -> String? {
        var best: (name: String, draw: Double)?
        for name in variants {
            let counts = ratings[name] ?? (0, 0)
            let draw = betaSample(alpha: 1 + Double(counts.helpful), beta: 1 + Double(counts.notHelpful))
            if best == nil || draw > best!.draw { best = (name, draw) }
        }
        return best?.name
    }

    mutating func betaSample(alpha: Double, beta: Double) -> Double {
        let x = gammaSample(shape: alpha)
        let y = gammaSample(shape: beta)
        return x / (x + y)
    }

    /// Marsaglia and Tsang's method (shape ≥ 1, which Beta(1 + n, 1 + m) always gives).
    mutating func gammaSample(shape: Double) -> Double {
        let d = shape - 1.0 / 3.0
        let c = 1.0 / (9.0 * d).squareRoot()
        while true {
            var x: Double
            var v: Double
            repeat {
                x = normalSample()
                v = 1 + c * x
            } while v <= 0
            v = v * v * v
            let u = Double.random(in: Double.ulpOfOne..<1, using: &random)
            if log(u) < 0.5 * x * x + d - d * v + d * log(v) { return d * v }
        }
    }

    mutating func normalSample() -> Double {
        let u1 = Double.random(in: Double.ulpOfOne..<1, using: &random)
        let u2 = Double.random(in: 0..<1, using: &random)
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
