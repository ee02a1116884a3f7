import Crypto
import Foundation
import MariaDB
import JSON

/// The cache shared by every process (`realtime_coaching_cache`). The key separates everything that
/// changes the answer (model, variant and template hash, enabled types, language); within that scope
/// an exact match on the normalised message is tried first, then similar messages found through
/// MinHash band keys — an index lookup per band — scored by Jaccard similarity of their word sets,
/// and last, when the message has an embedding, near-duplicates found through random-hyperplane
/// band keys (`EmbeddingBands`) and scored by cosine similarity against the stored embeddings.
/// An entry whose answer depends on the conversation so far (`dependsOnContext`) is served only
/// where the last turns before the message are the same as when it was stored.
public struct HintCache {
    public struct Scope: Sendable {
        public let hash: String

        public init(model: String, variant: String, templateHash: String, enabledTypes: [HintType], language: String) {
            let text = [model, variant, templateHash, enabledTypes.map(\.rawValue).sorted().joined(separator: ","),
                        language.lowercased()].joined(separator: "\u{1F}")
            hash = HintCache.sha256(text)
        }
    }

    public struct Entry: Sendable {
        public let id: Int
        public let output: AnalysisOutput
        public let modelUsed: String?
        public let similarity: Double
    }

    /// Turns before the analysed message(s) that a context-dependent entry must share.
    static let contextTurns = 2
    /// Hint types whose advice follows from what was said before rather than from the message alone.
    static let contextDependentTypes: Set<HintType> = [.question, .closingOpportunity, .escalationNeeded]

    static let bands = 8
    static let rowsPerBand = 3
    static let maxCandidates = 32

    private let connection: MariaDBConnection

    public init(connection: MariaDBConnection) {
        self.connection = connection
    }

    /// `embedding`: the message's vector, the model that made it and the cosine a stored one needs.
    public func lookup(messages: [String], context: [AnalysisInput.Turn], scope: Scope, threshold: Double,
                       embedding: (vector: Embedding, model: String, minCosine: Double)? = nil) throws -> Entry? {
        let normalised = Self.normalise(messages.joined(separator: " "))
        guard !normalised.isEmpty else { return nil }
        let contextHash = Self.contextHash(context)
        let exactKeys = [Self.exactKey(scope: scope, normalised: normalised, contextHash: nil),
                         Self.exactKey(scope: scope, normalised: normalised, contextHash: contextHash)]
        if let row = try connection.query("""
            SELECT id, hint_type, hint_text, suggestions, model_used, has_hint, normalized_text, context_hash
            FROM realtime_coaching_cache
            WHERE message_hash IN (?, ?) AND expires_at > NOW()
            """, exactKeys.map { .text($0) }).first(where: { Self.servable($0, contextHash: contextHash) }) {
            return entry(row, similarity: 1)
        }
        if threshold < 1, let found = try lookupByWords(normalised, scope: scope, contextHash: contextHash, threshold: threshold) {
            return found
        }
        guard let embedding else { return nil }
        return try lookupByEmbedding(embedding.vector, model: embedding.model, minCosine: embedding.minCosine,
                                     scope: scope, contextHash: contextHash)
    }

    private func lookupByWords(_ normalised: String, scope: Scope, contextHash: String, threshold: Double) throws -> Entry? {
        let words = Self.words(normalised)
        let keys = Self.bandKeys(words: words, scope: scope.hash)
        guard !keys.isEmpty else { return nil }
        let marks = Array(repeating: "?", count: keys.count).joined(separator: ",")
        let rows = try connection.query("""
            SELECT c.id, c.hint_type, c.hint_text, c.suggestions, c.model_used, c.has_hint, c.normalized_text,
                   c.context_hash
            FROM (SELECT DISTINCT cache_id FROM coaching_cache_bands WHERE band_hash IN (\(marks)) LIMIT \(Self.maxCandidates)) b
            JOIN realtime_coaching_cache c ON c.id = b.cache_id
            WHERE c.scope_hash = ? AND c.expires_at > NOW()
            """, keys.map { .int($0) } + [.text(scope.hash)])
        var best: (SQLRow, Double)?
        for row in rows where Self.servable(row, contextHash: contextHash) {
            let similarity = Self.jaccard(words, Self.words(row.string(6) ?? ""))
            if similarity >= threshold, similarity > (best?.1 ?? 0) { best = (row, similarity) }
        }
        return best.flatMap { entry($0.0, similarity: $0.1) }
    }

    private func lookupByEmbedding(_ vector: Embedding, model: String, minCosine: Double, scope: Scope,
                                   contextHash: String) throws -> Entry? {
        let keys = EmbeddingBands.keys(vector, scope: scope.hash, model: model)
        let marks = Array(repeating: "?", count: keys.count).joined(separator: ",")
        let rows = try connection.query("""
            SELECT c.id, c.hint_type, c.hint_text, c.suggestions, c.model_used, c.has_hint, c.normalized_text,
                   c.context_hash, TO_BASE64(c.embedding)
            FROM (SELECT DISTINCT cache_id FROM coaching_cache_bands WHERE band_hash IN (\(marks))
                  ORDER BY cache_id DESC LIMIT \(Self.maxCandidates)) b
            JOIN realtime_coaching_cache c ON c.id = b.cache_id
            WHERE c.scope_hash = ? AND c.embedding_model = ? AND c.expires_at > NOW()
            """, keys.map { .int($0) } + [.text(scope.hash), .text(model)])
        var best: (SQLRow, Double)?
        for row in rows where Self.servable(row, contextHash: contextHash) {
            guard let stored = row.string(8).flatMap(EmbeddingBands.embedding(base64:)) else { continue }
            let similarity = vector.cosine(stored)
            if similarity >= minCosine, similarity > (best?.1 ?? 0) { best = (row, similarity) }
        }
        return best.flatMap { entry($0.0, similarity: $0.1) }
    }

    public func store(messages: [String], context: [AnalysisInput.Turn], scope: Scope, output: AnalysisOutput,
                      embedding: (vector: Embedding, model: String)? = nil, modelUsed: String, ttlMinutes: Int) throws {
        guard ttlMinutes > 0 else { return }
        let normalised = Self.normalise(messages.joined(separator: " "))
        guard !normalised.isEmpty else { return }
        let contextHash = Self.contextHash(context)
        let dependent = Self.dependsOnContext(hintType: output.hintType, hasHint: output.hasHint, normalised: normalised)
        let exact = Self.exactKey(scope: scope, normalised: normalised, contextHash: dependent ? contextHash : nil)
        try connection.transaction {
            let suggestions = JSONWriter.string(.array(output.suggestions.map(JSONValue.string)))
            let inserted = try connection.execute("""
                INSERT INTO realtime_coaching_cache
                    (message_hash, hint_type, hint_text, suggestions, model_used, expires_at, scope_hash, normalized_text,
                     has_hint, context_hash, embedding, embedding_model)
                VALUES (?, ?, ?, ?, ?, NOW() + INTERVAL ? MINUTE, ?, ?, ?, ?, FROM_BASE64(?), ?)
                ON DUPLICATE KEY UPDATE hint_type = VALUES(hint_type), hint_text = VALUES(hint_text),
                    suggestions = VALUES(suggestions), model_used = VALUES(model_used), expires_at = VALUES(expires_at),
                    has_hint = VALUES(has_hint), context_hash = VALUES(context_hash),
                    embedding = COALESCE(VALUES(embedding), embedding),
                    embedding_model = COALESCE(VALUES(embedding_model), embedding_model), id = LAST_INSERT_ID(id)
                """, [.text(exact), .optional(output.hintType?.rawValue), .text(output.hintText), .text(suggestions),
                      .text(String(modelUsed.prefix(50))), .int(ttlMinutes), .text(scope.hash), .text(normalised),
                      .int(output.hasHint ? 1 : 0), .text(contextHash),
                      .optional(embedding.map { EmbeddingBands.base64($0.vector) }),
                      .optional(embedding.map { String($0.model.prefix(100)) })])
            var keys = Self.bandKeys(words: Self.words(normalised), scope: scope.hash)
            if let embedding { keys += EmbeddingBands.keys(embedding.vector, scope: scope.hash, model: embedding.model) }
            for key in keys {
                try connection.execute("INSERT IGNORE INTO coaching_cache_bands (band_hash, cache_id) VALUES (?, ?)",
                                       [.int(key), .int(inserted.lastInsertID)])
            }
        }
    }

    /// Removes expired entries in small batches (called from housekeeping).
    public func purgeExpired(limit: Int = 500) throws {
        let rows = try connection.query("SELECT id FROM realtime_coaching_cache WHERE expires_at <= NOW() LIMIT ?", [.int(limit)])
        for row in rows {
            guard let id = row.int(0) else { continue }
            try connection.transaction {
                try connection.execute("DELETE FROM coaching_cache_bands WHERE cache_id = ?", [.int(id)])
                try connection.execute("DELETE FROM realtime_coaching_cache WHERE id = ? AND expires_at <= NOW()", [.int(id)])
            }
        }
    }

    /// Whether an answer follows from the conversation so far: the context-dependent hint types, and
    /// "no hint" for a reply of a few words ("sim", "pode ser"), which means something only after
    /// what was asked.
    static func dependsOnContext(hintType: HintType?, hasHint: Bool, normalised: String) -> Bool {
        if hasHint { return hintType.map(contextDependentTypes.contains) ?? false }
        return words(normalised).count < 4
    }

    /// The exact-match key: the message within its scope, plus the last turns for an answer that
    /// depends on them, so one message can hold an answer per context.
    static func exactKey(scope: Scope, normalised: String, contextHash: String?) -> String {
        sha256(scope.hash + "\n" + normalised + (contextHash.map { "\n" + $0 } ?? ""))
    }

    static func contextHash(_ context: [AnalysisInput.Turn]) -> String {
        sha256(context.suffix(contextTurns).map { "\($0.speaker.rawValue):\(normalise($0.text))" }.joined(separator: "\n"))
    }

    /// Rows with columns 1 = hint_type, 5 = has_hint, 6 = normalized_text, 7 = context_hash.
    private static func servable(_ row: SQLRow, contextHash: String) -> Bool {
        let hasHint = row.bool(5) ?? true
        guard dependsOnContext(hintType: row.string(1).flatMap(HintType.init(rawValue:)), hasHint: hasHint,
                               normalised: row.string(6) ?? "") else { return true }
        return row.string(7) == contextHash
    }

    public func recordHit(_ entry: Entry) throws {
        try connection.execute("UPDATE realtime_coaching_cache SET hits = hits + 1 WHERE id = ?", [.int(entry.id)])
    }

    private func entry(_ row: SQLRow, similarity: Double) -> Entry? {
        guard let id = row.int(0) else { return nil }
        let hasHint = row.bool(5) ?? true
        let output = hasHint
            ? AnalysisOutput(hasHint: true, hintType: row.string(1).flatMap(HintType.init(rawValue:)),
                             hintText: row.string(2) ?? "", suggestions: Hint.parseSuggestions(row.string(3)))
            : .none
        if hasHint, output.hintType == nil { return nil }
        return Entry(id: id, output: output, modelUsed: row.string(4), similarity: similarity)
    }

    // MARK: - Text

    /// Lower case, accents folded, punctuation dropped, whitespace collapsed.
    public static func normalise(_ text: String) -> String {
        let folded = text.folding(options: [.diacriticInsensitive, .caseInsensitive, .widthInsensitive], locale: nil).lowercased()
        var output = ""
        var lastWasSpace = true
        for scalar in folded.unicodeScalars {
            if CharacterSet.alphanumerics.contains(scalar) {
                output.unicodeScalars.append(scalar)
                lastWasSpace = false
            } else if !lastWasSpace {
                output.append(" ")
                lastWasSpace = true
            }
        }
        return output.trimmingSpaces
    }

    static func words(_ normalised: String) -> Set<String> {
        Set(normalised.split(separator: " ").map(String.init))
    }

    static func jaccard(_ a: Set<String>, _ b: Set<String>) -> Double {
        guard !a.isEmpty || !b.isEmpty else { return 1 }
        return Double(a.intersection(b).count) / Double(a.union(b).count)
    }

    /// MinHash signature of the word set, cut into bands; each band (with the scope) is one key.
    static func bandKeys(words: Set<String>, scope: String) -> [Int64] {
        guard !words.isEmpty else { return [] }
        let functions = bands * rowsPerBand
        let hashes = words.map { fnv1a64($0) }
        var signature = [UInt64](repeating: .max, count: functions)
        for hash in hashes {
            for index in 0..<functions {
                let mixed = mix(hash &+ UInt64(index) &* 0x9E37_79B9_7F4A_7C15)
                if mixed < signature[index] { signature[index] = mixed }
            }
        }
        let scopeHash = fnv1a64(scope)
        return (0..<bands).map { band in
            var key = scopeHash ^ UInt64(band)
            for row in 0..<rowsPerBand { key = mix(key ^ signature[band * rowsPerBand + row]) }
            return Int64(bitPattern: key)
        }
    }

    static func fnv1a64(_ text: String) -> UInt64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in text.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return hash
    }

    static func mix(_ value: UInt64) -> UInt64 {
        var z = value &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    static func sha256(_ text: String) -> String {
        SHA256.hash(data: Array(text.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}
