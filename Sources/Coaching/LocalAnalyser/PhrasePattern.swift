/// A small phrase pattern over normalised tokens. A pattern is one or more sequences separated by
/// ` / `; each sequence is space-separated elements:
/// - `word` matches that token; `a|b|c` matches any of them; `caro*` matches any token starting with `caro`;
/// - `[a|b]` is optional;
/// - `#` matches a number token (`10`, `10x`);
/// - `...` skips up to three tokens (never across a sentence end or a message barrier);
/// - `^` (first element only) anchors the sequence at the start of a sentence.
struct PhrasePattern: Sendable {
    enum Element: Sendable {
        case token(words: Set<String>, prefixes: [String], optional: Bool)
        case number(optional: Bool)
        case gap(Int)
        case messageStart
    }

    static let gapLength = 3

    let source: String
    let sequences: [[Element]]

    /// Compiles `source`; a malformed pattern (see `problems(in:)`) stops the program with a message
    /// naming it. Patterns are constants in this module, so that happens only to a developer, at the
    /// first use — and `PhrasePatternTests` compiles every rule.
    init(_ source: String) {
        let problems = Self.problems(in: source)
        precondition(problems.isEmpty, "malformed phrase pattern \"\(source)\": \(problems.joined(separator: "; "))")
        self.source = source
        var sequences: [[Element]] = []
        var rest = Substring(source)
        while true {
            if let range = rest.range(of: " / ") {
                sequences.append(Self.compile(rest[rest.startIndex..<range.lowerBound]))
                rest = rest[range.upperBound...]
            } else {
                sequences.append(Self.compile(rest))
                break
            }
        }
        self.sequences = sequences.filter { !$0.isEmpty }
    }

    /// What is wrong with a pattern, if anything: an empty sequence, `^` anywhere but first, a gap
    /// at either end of a sequence, an unbalanced or misplaced bracket, an empty alternative, a
    /// sequence whose every element is optional (it would match anywhere), or a word that the
    /// normaliser never produces (capitals, accents, punctuation), which could never match.
    static func problems(in source: String) -> [String] {
        var problems: [String] = []
        let sequences = source.components(separatedBy: " / ")
        for (index, sequence) in sequences.enumerated() {
            let parts = sequence.split(separator: " ", omittingEmptySubsequences: false).map(String.init)
            let name = sequences.count > 1 ? "sequence \(index + 1)" : "pattern"
            guard !parts.isEmpty, !parts.contains(where: \.isEmpty) else {
                problems.append("\(name) is empty or has a double space")
                continue
            }
            if parts.dropFirst().contains("^") { problems.append("\(name): ^ must come first") }
            let content = parts.first == "^" ? Array(parts.dropFirst()) : parts
            if content.first == "..." || content.last == "..." { problems.append("\(name): ... at an end") }
            var required = false
            for part in content where part != "..." {
                var body = Substring(part)
                if body.hasPrefix("["), body.hasSuffix("]"), body.count > 2 {
                    body = body.dropFirst().dropLast()
                } else {
                    required = true
                }
                if body.contains("[") || body.contains("]") {
                    problems.append("\(name): bad brackets in \"\(part)\"")
                    continue
                }
                if body == "#" { continue }
                for alternative in body.split(separator: "|", omittingEmptySubsequences: false) {
                    let word = alternative.count > 1 && alternative.hasSuffix("*") ? alternative.dropLast() : alternative
                    if word.isEmpty || word == "*" {
                        problems.append("\(name): empty alternative in \"\(part)\"")
                    } else if TextNormaliser.tokens(of: String(word)) != [String(word)] {
                        problems.append("\(name): \"\(word)\" is not a normalised token")
                    }
                }
            }
            if !required { problems.append("\(name): every element is optional") }
        }
        return problems
    }

    private static func compile(_ source: Substring) -> [Element] {
        var elements: [Element] = []
        for part in source.split(separator: " ") {
            if part == "^" {
                elements.append(.messageStart)
                continue
            }
            if part == "..." {
                elements.append(.gap(gapLength))
                continue
            }
            var body = Substring(part)
            var optional = false
            if body.hasPrefix("["), body.hasSuffix("]") {
                optional = true
                body = body.dropFirst().dropLast()
            }
            if body == "#" {
                elements.append(.number(optional: optional))
                continue
            }
            var words: Set<String> = []
            var prefixes: [String] = []
            for alternative in body.split(separator: "|") {
                if alternative.count > 1, alternative.hasSuffix("*") {
                    prefixes.append(String(alternative.dropLast()))
                } else {
                    words.insert(String(alternative))
                }
            }
            elements.append(.token(words: words, prefixes: prefixes, optional: optional))
        }
        return elements
    }

    /// Start indexes (ascending, without duplicates) of every place the pattern matches in `tokens`.
    func matchStarts(in tokens: [String]) -> [Int] {
        matchSpans(in: tokens).map(\.lowerBound)
    }

    /// The token ranges matched, one per start index (the first way the pattern matches there).
    func matchSpans(in tokens: [String]) -> [Range<Int>] {
        var spans: [Range<Int>] = []
        for start in tokens.indices {
            for sequence in sequences {
                if let end = Self.match(sequence, tokens, at: start, element: 0) {
                    spans.append(start..<max(end, start))
                    break
                }
            }
        }
        return spans
    }

    /// The end index of a match of `elements[element...]` starting at `position`, if any.
    private static func match(_ elements: [Element], _ tokens: [String], at position: Int, element: Int) -> Int? {
        if element == elements.count { return position }
        switch elements[element] {
        case .messageStart:
            guard position == 0 || (position <= tokens.count && TextNormaliser.isPunctuation(tokens[position - 1])) else { return nil }
            return match(elements, tokens, at: position, element: element + 1)
        case .gap(let length):
            var next = position
            for _ in 0...length {
                if let end = match(elements, tokens, at: next, element: element + 1) { return end }
                guard next < tokens.count, !TextNormaliser.isPunctuation(tokens[next]) else { return nil }
                next += 1
            }
            return nil
        case .number(let optional):
            if position < tokens.count, tokens[position].first?.isNumber == true,
               let end = match(elements, tokens, at: position + 1, element: element + 1) {
                return end
            }
            return optional ? match(elements, tokens, at: position, element: element + 1) : nil
        case .token(let words, let prefixes, let optional):
            if position < tokens.count, accepts(tokens[position], words: words, prefixes: prefixes),
               let end = match(elements, tokens, at: position + 1, element: element + 1) {
                return end
            }
            return optional ? match(elements, tokens, at: position, element: element + 1) : nil
        }
    }

    private static func accepts(_ token: String, words: Set<String>, prefixes: [String]) -> Bool {
        if words.contains(token) { return true }
        for prefix in prefixes where token.hasPrefix(prefix) { return true }
        return false
    }
}
