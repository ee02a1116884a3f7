import Foundation
import JSON

/// Checks an admin's edit of the settings against `SettingsSchema` and turns it into a
/// `SettingsChange`. Reading the stored rows is lenient (the original UI wrote numbers and booleans
/// in several spellings, and a bad row must not stop the service); writing is strict, so a mistake is
/// reported on its field instead of being clamped into some other value without anyone noticing.
/// Every field is checked before answering, so the page can mark all mistakes at once.
///
/// The body: `{"realtime_coaching": {…}, "service": {…}, "openai_api_key": "…",
/// "clear_openai_api_key": true}`, every part optional; keys left out keep their stored values.
public enum SettingsValidation {
    public static let maxURLLength = 500
    public static let maxAPIKeyLength = 500

    /// `current` supplies what absent keys keep, for checks that involve more than one field.
    public static func check(_ body: JSONValue, current: SettingsDocuments) throws(CoachingError) -> SettingsChange {
        var problems: [FieldProblem] = []
        var change = SettingsChange()
        guard let members = body.objectValue else {
            throw CoachingError.invalidFields([FieldProblem(field: "body", message: "must be a JSON object")])
        }
        for (key, value) in members {
            switch key {
            case SettingsSchema.coachingSection:
                change.coaching = section(value, key, SettingsSchema.coaching, current: current, problems: &problems)
            case SettingsSchema.serviceSection:
                change.service = section(value, key, SettingsSchema.service, current: current, problems: &problems)
            case SettingsSchema.apiKeyField:
                if let secret = secret(value, field: key, problems: &problems) { change.apiKey = .set(secret) }
            case SettingsSchema.embeddingsKeyField:
                if let secret = secret(value, field: key, problems: &problems) { change.embeddingsKey = .set(secret) }
            case SettingsSchema.clearAPIKeyField, SettingsSchema.clearEmbeddingsKeyField:
                if strictBool(value) == nil { problems.append(FieldProblem(field: key, message: "must be true or false")) }
            default:
                problems.append(FieldProblem(field: key, message: "unknown setting"))
            }
        }
        if strictBool(body[SettingsSchema.clearAPIKeyField]) == true {
            if case .set = change.apiKey {
                problems.append(FieldProblem(field: SettingsSchema.clearAPIKeyField,
                                             message: "cannot set a new key and clear the key at once"))
            }
            change.apiKey = .clear
        }
        if strictBool(body[SettingsSchema.clearEmbeddingsKeyField]) == true {
            if case .set = change.embeddingsKey {
                problems.append(FieldProblem(field: SettingsSchema.clearEmbeddingsKeyField,
                                             message: "cannot set a new key and clear the key at once"))
            }
            change.embeddingsKey = .clear
        }
        problems += crossFieldProblems(current.applying(change))
        guard problems.isEmpty else { throw CoachingError.invalidFields(problems) }
        return change
    }

    /// A new secret, or nil when the field means "keep" (empty, so the page can always send it) or is invalid.
    private static func secret(_ value: JSONValue, field: String, problems: inout [FieldProblem]) -> String? {
        guard let text = value.stringValue else {
            if !value.isNull { problems.append(FieldProblem(field: field, message: "must be a string")) }
            return nil
        }
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.isEmpty { return nil }
        if trimmed.count > maxAPIKeyLength {
            problems.append(FieldProblem(field: field, message: "must be at most \(maxAPIKeyLength) characters"))
            return nil
        }
        if trimmed.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            problems.append(FieldProblem(field: field, message: "must not contain spaces or control characters"))
            return nil
        }
        return trimmed
    }

    // MARK: sections

    private static func section(_ value: JSONValue, _ name: String, _ fields: [SettingsField], current: SettingsDocuments,
                                problems: inout [FieldProblem]) -> [(String, JSONValue)] {
        guard let members = value.objectValue else {
            problems.append(FieldProblem(field: name, message: "must be an object"))
            return []
        }
        var accepted: [(String, JSONValue)] = []
        for (key, _) in members where !fields.contains(where: { $0.key == key }) {
            problems.append(FieldProblem(field: "\(name).\(key)", message: "unknown setting"))
        }
        // Schema order, so the stored object reads the way the page lists it.
        for field in fields {
            guard let given = members.last(where: { $0.0 == field.key })?.1 else { continue }
            let path = "\(name).\(field.key)"
            switch normalise(given, field.kind, path: path, current: current) {
            case .success(let normalised): accepted.append((field.key, normalised))
            case .failure(let found): problems += found.problems
            }
        }
        return accepted
    }

    private struct Problems: Error {
        var problems: [FieldProblem]
        init(_ field: String, _ message: String) { problems = [FieldProblem(field: field, message: message)] }
        init(_ problems: [FieldProblem]) { self.problems = problems }
    }

    private static func normalise(_ value: JSONValue, _ kind: SettingsField.Kind, path: String,
                                  current: SettingsDocuments) -> Result<JSONValue, Problems> {
        switch kind {
        case .bool:
            guard let flag = strictBool(value) else { return .failure(Problems(path, "must be true or false")) }
            return .success(.bool(flag))
        case .integer(let range):
            guard let number = strictNumber(value) else { return .failure(Problems(path, "must be a whole number")) }
            guard number.rounded() == number, let whole = Int(exactly: number) else {
                return .failure(Problems(path, "must be a whole number"))
            }
            guard range.contains(whole) else {
                return .failure(Problems(path, "must be between \(range.lowerBound) and \(range.upperBound)"))
            }
            return .success(.int(whole))
        case .number(let range):
            guard let number = strictNumber(value) else { return .failure(Problems(path, "must be a number")) }
            guard range.contains(number) else {
                return .failure(Problems(path, "must be between \(format(range.lowerBound)) and \(format(range.upperBound))"))
            }
            return .success(.double(number))
        case .text(let maxLength):
            guard let text = value.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else { return .failure(Problems(path, "must be text")) }
            if let problem = textProblem(text, maxLength: maxLength) { return .failure(Problems(path, problem)) }
            return .success(.string(text))
        case .choice(let options):
            guard let text = value.stringValue,
                  let option = options.first(where: { $0.lowercased() == text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() }) else {
                return .failure(Problems(path, "must be one of: \(options.joined(separator: ", "))"))
            }
            return .success(.string(option))
        case .url:
            guard let text = value.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else { return .failure(Problems(path, "must be text")) }
            if let problem = urlProblem(text) { return .failure(Problems(path, problem)) }
            return .success(.string(text.hasSuffix("/") ? String(text.dropLast()) : text))
        case .optionalURL:
            guard let text = value.stringValue?.trimmingCharacters(in: .whitespacesAndNewlines) else { return .failure(Problems(path, "must be text")) }
            if text.isEmpty { return .success(.string("")) }
            if let problem = urlProblem(text) { return .failure(Problems(path, problem)) }
            return .success(.string(text.hasSuffix("/") ? String(text.dropLast()) : text))
        case .hintTypes:
            return hintTypes(value, path: path, current: current.coaching)
        case .price:
            return price(value, path: path)
        case .prices:
            guard let members = value.objectValue else {
                return .failure(Problems(path, "must be an object of model → {\"input\", \"output\"}"))
            }
            var problems: [FieldProblem] = []
            var prices: [(String, JSONValue)] = []
            for (model, entry) in members {
                let name = model.trimmingCharacters(in: .whitespacesAndNewlines)
                if let problem = textProblem(name, maxLength: SettingsField.maxModelNameLength) {
                    problems.append(FieldProblem(field: "\(path).\(model)", message: "model name " + problem))
                    continue
                }
                switch price(entry, path: "\(path).\(name)") {
                case .success(let normalised): prices.append((name, normalised))
                case .failure(let found): problems += found.problems
                }
            }
            return problems.isEmpty ? .success(.object(prices)) : .failure(Problems(problems))
        }
    }

    /// A partial object is allowed (`{"question": false}`); the flags not sent keep their values.
    private static func hintTypes(_ value: JSONValue, path: String, current: CoachingSettings) -> Result<JSONValue, Problems> {
        guard let members = value.objectValue else { return .failure(Problems(path, "must be an object of hint type → true/false")) }
        var flags = current.hintTypes
        var problems: [FieldProblem] = []
        for (key, given) in members {
            guard let type = HintType(rawValue: key) else {
                problems.append(FieldProblem(field: "\(path).\(key)", message: "unknown hint type"))
                continue
            }
            guard let flag = strictBool(given) else {
                problems.append(FieldProblem(field: "\(path).\(key)", message: "must be true or false"))
                continue
            }
            flags[type] = flag
        }
        if problems.isEmpty, !flags.values.contains(true) {
            problems.append(FieldProblem(field: path, message: "enable at least one hint type"))
        }
        guard problems.isEmpty else { return .failure(Problems(problems)) }
        return .success(.object(HintType.allCases.map { ($0.rawValue, .bool(flags[$0] ?? false)) }))
    }

    private static func price(_ value: JSONValue, path: String) -> Result<JSONValue, Problems> {
        guard value.objectValue != nil else { return .failure(Problems(path, "must be {\"input\": …, \"output\": …} in USD per 1M tokens")) }
        var problems: [FieldProblem] = []
        var parts: [(String, JSONValue)] = []
        for part in ["input", "output"] {
            guard let given = value[part] else {
                problems.append(FieldProblem(field: "\(path).\(part)", message: "is required"))
                continue
            }
            guard let number = strictNumber(given), (0...SettingsField.maxPrice).contains(number) else {
                problems.append(FieldProblem(field: "\(path).\(part)",
                                             message: "must be a number between 0 and \(format(SettingsField.maxPrice))"))
                continue
            }
            parts.append((part, .double(number)))
        }
        for (key, _) in value.objectValue ?? [] where key != "input" && key != "output" {
            problems.append(FieldProblem(field: "\(path).\(key)", message: "unknown setting"))
        }
        return problems.isEmpty ? .success(.object(parts)) : .failure(Problems(problems))
    }

    /// Rules between fields, checked on the settings as they would be after the save.
    private static func crossFieldProblems(_ after: SettingsDocuments) -> [FieldProblem] {
        var problems: [FieldProblem] = []
        let service = after.serviceSettings
        if service.connectTimeoutMilliseconds > service.totalTimeoutMilliseconds {
            problems.append(FieldProblem(field: "\(SettingsSchema.serviceSection).connect_timeout_ms",
                                         message: "must not exceed total_timeout_ms (\(service.totalTimeoutMilliseconds))"))
        }
        return problems
    }

    // MARK: values

    /// Booleans as JSON, or in the spellings a form sends; anything else is a mistake, not `false`.
    static func strictBool(_ value: JSONValue?) -> Bool? {
        switch value {
        case .bool(let flag)?: return flag
        case .int(let number)? where number == 0 || number == 1: return number == 1
        case .string(let text)?:
            switch text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased() {
            case "true", "1", "on", "yes": return true
            case "false", "0", "off", "no": return false
            default: return nil
            }
        default: return nil
        }
    }

    /// Numbers as JSON, or as the text a form sends; never NaN or infinite.
    static func strictNumber(_ value: JSONValue) -> Double? {
        switch value {
        case .int(let number): return Double(number)
        case .double(let number): return number.isFinite ? number : nil
        case .string(let text):
            guard let number = Double(text.trimmingCharacters(in: .whitespacesAndNewlines)), number.isFinite else { return nil }
            return number
        default: return nil
        }
    }

    private static func textProblem(_ text: String, maxLength: Int) -> String? {
        if text.isEmpty { return "must not be empty" }
        if text.count > maxLength { return "must be at most \(maxLength) characters" }
        if text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return "must not contain control characters"
        }
        return nil
    }

    private static func urlProblem(_ text: String) -> String? {
        let lower = text.lowercased()
        guard let scheme = ["https://", "http://"].first(where: { lower.hasPrefix($0) }) else {
            return "must start with http:// or https://"
        }
        if text.count > maxURLLength { return "must be at most \(maxURLLength) characters" }
        if text.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) {
            return "must not contain spaces or control characters"
        }
        let host = lower.dropFirst(scheme.count).prefix(while: { $0 != "/" && $0 != "?" && $0 != "#" })
        if host.isEmpty || host.hasPrefix(":") || host.contains("@") { return "must name a host" }
        return nil
    }

    private static func format(_ number: Double) -> String {
        number.rounded() == number && abs(number) < 1e15 ? String(Int64(number)) : String(number)
    }
}
