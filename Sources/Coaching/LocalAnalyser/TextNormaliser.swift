import Foundation

/// Turns chat text into the token stream the situation rules match against: lowercase, accents
/// stripped (`não` → `nao`), apostrophes dropped (`don't` → `dont`), runs of spaces and other
/// punctuation treated as one separator. A question mark, a sentence end and each emoji are kept
/// as tokens of their own. Each message is tokenised on its own.
enum TextNormaliser {
    /// Separates texts matched as one stream; pattern gaps never skip it.
    static let barrier = "|"
    static let questionMark = "?"
    /// Ends a sentence ("." or "!" followed by a space or the end, ";", a line break); phrase gaps
    /// do not skip it, and each sentence is a question or a statement on its own.
    static let sentenceEnd = "."

    /// The tokens of one message.
    static func tokens(of text: String) -> [String] {
        var tokens: [String] = []
        var current = String.UnicodeScalarView()
        func flush() {
            if !current.isEmpty {
                tokens.append(String(current))
                current = String.UnicodeScalarView()
            }
        }
        func endSentence() {
            flush()
            if let last = tokens.last, last != questionMark, last != sentenceEnd { tokens.append(sentenceEnd) }
        }
        let scalars = folded(text)
        for (index, scalar) in scalars.enumerated() {
            let properties = scalar.properties
            if properties.isAlphabetic || properties.numericType != nil {
                current.append(scalar)
            } else if scalar == "'" || scalar == "\u{2019}" || scalar == "\u{2018}" {
                continue // "don't" → "dont", "that's" → "thats"
            } else if scalar == "?" {
                flush()
                if let last = tokens.last, last == sentenceEnd { tokens.removeLast() }
                if tokens.last != questionMark { tokens.append(questionMark) }
            } else if scalar == "!" || scalar == ";" || scalar == "\n" {
                endSentence()
            } else if scalar == "." {
                // "1.200" and "consumidor.gov.br" are not sentence ends.
                let next = index + 1 < scalars.count ? scalars[index + 1] : " "
                if next.properties.isWhitespace || next == "." || next == "!" || next == "?" { endSentence() } else { flush() }
            } else if isEmoji(scalar) {
                flush()
                tokens.append(String(scalar))
            } else {
                flush()
            }
        }
        flush()
        while let last = tokens.last, last == sentenceEnd { tokens.removeLast() }
        return tokens
    }

    /// Whether a token only structures the text (barrier, sentence end, question mark).
    static func isPunctuation(_ token: String) -> Bool {
        token == barrier || token == sentenceEnd || token == questionMark
    }

    /// Lowercases and removes combining marks after canonical decomposition; a few letters that do
    /// not decompose (ß, æ, ø, œ) are spelled out the way people type them without a key for it.
    private static func folded(_ text: String) -> [Unicode.Scalar] {
        var scalars: [Unicode.Scalar] = []
        scalars.reserveCapacity(text.unicodeScalars.count)
        for scalar in text.lowercased().decomposedStringWithCanonicalMapping.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark:
                continue
            case .control, .format:
                if scalar == "\n" || scalar == "\r" { scalars.append("\n") } else if scalar == "\t" { scalars.append(" ") }
                continue
            default:
                break
            }
            switch scalar {
            case "ß": scalars.append(contentsOf: ["s", "s"])
            case "æ": scalars.append(contentsOf: ["a", "e"])
            case "ø": scalars.append("o")
            case "œ": scalars.append(contentsOf: ["o", "e"])
            default: scalars.append(scalar)
            }
        }
        return scalars
    }

    static func isEmoji(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value >= 0x2190 && scalar.properties.isEmoji
    }
}
