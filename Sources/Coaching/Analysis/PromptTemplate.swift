import Crypto
import Foundation
import Mustache
import JSON

/// A prompt variant: a system and a user Mustache template, identified by the hash of their text so
/// that hints and cache entries record exactly which wording produced them.
public struct PromptTemplate: Sendable {
    public struct LoadError: Error, CustomStringConvertible {
        public let description: String

        public init(description: String) {
            self.description = description
        }
    }

    public let name: String
    public let hash: String
    private let system: MustacheTemplate
    private let user: MustacheTemplate

    public init(name: String, systemText: String, userText: String) throws {
        self.name = name
        system = try Self.parse(systemText, file: "\(name).system.mustache")
        user = try Self.parse(userText, file: "\(name).user.mustache")
        let digest = SHA256.hash(data: Array((systemText + "\u{0}" + userText).utf8))
        hash = digest.map { String(format: "%02x", $0) }.joined().prefix(16).description
    }

    /// A broken template is reported as `file:line:column: problem`, so the admin can fix it
    /// without guessing; the caller keeps serving the previous version meanwhile.
    private static func parse(_ text: String, file: String) throws -> MustacheTemplate {
        do {
            return try MustacheTemplate(string: text)
        } catch let error as MustacheTemplate.ParserError {
            let where_ = "\(file):\(error.context.lineNumber):\(error.context.columnNumber)"
            throw LoadError(description: "\(where_): \(error.error) near \"\(error.context.line.prefix(80))\"")
        } catch {
            throw LoadError(description: "\(file): \(error)")
        }
    }

    /// Loads `<directory>/<name>.system.mustache` and `<name>.user.mustache`.
    public static func load(name: String, directory: String) throws -> PromptTemplate {
        let base = URL(fileURLWithPath: directory)
        do {
            let system = try String(contentsOf: base.appendingPathComponent("\(name).system.mustache"), encoding: .utf8)
            let user = try String(contentsOf: base.appendingPathComponent("\(name).user.mustache"), encoding: .utf8)
            return try PromptTemplate(name: name, systemText: system, userText: user)
        } catch let error as LoadError {
            throw error
        } catch {
            throw LoadError(description: "cannot read prompt \(name) in \(directory): \(error.localizedDescription)")
        }
    }

    /// Renders the chat messages for one analysis. Customer and agent text enter only as JSON
    /// string literals, so no message can close a delimiter or pose as an instruction block.
    public func render(_ input: AnalysisInput) -> (system: String, user: String) {
        let context = JSONWriter.string(.array(input.context.map { turn in
            .object([("from", .string(turn.speaker.rawValue)), ("text", .string(turn.text))])
        }))
        let messages = JSONWriter.string(.array(input.messages.map(JSONValue.string)))
        let portuguese = input.language.lowercased().hasPrefix("pt")
        let values: [String: Any] = [
            "agent_name": input.agentName ?? "",
            "language": input.language,
            "language_name": portuguese ? "Brazilian Portuguese" : "English",
            "hint_types": input.enabledTypes.map { ["key": $0.rawValue, "description": $0.promptDescription] },
            "context_json": context,
            "messages_json": messages,
        ]
        return (system.render(values), user.render(values))
    }
}

extension HintType {
    /// How each type is explained to the model.
    public var promptDescription: String {
        switch self {
        case .objection: return "the customer raises an objection (price, competitor, timing, doubt)"
        case .opportunity: return "an opening to offer more value, an upgrade or a complementary product"
        case .question: return "an important customer question the agent must answer precisely"
        case .negativeSentiment: return "the customer is unhappy, frustrated or angry"
        case .buyingSignal: return "the customer shows intent to buy"
        case .closingOpportunity: return "the right moment to close the sale"
        case .escalationNeeded: return "the situation needs a supervisor or another team"
        }
    }
}
