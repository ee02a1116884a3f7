import Coaching
import JSON

/// Typed reads of request fields from a JSON object or a decoded form. Forms carry only text, so
/// numbers and booleans are also accepted in their text spellings. Every failure names the field.
struct BodyFields {
    let json: JSONValue

    init(_ json: JSONValue) {
        self.json = json
    }

    func has(_ name: String) -> Bool {
        guard let value = json[name] else { return false }
        return !value.isNull
    }

    func string(_ name: String) throws(APIError) -> String? {
        guard let value = json[name], !value.isNull else { return nil }
        guard let text = value.stringValue else { throw APIError.badRequest("\(name) must be a string", field: name) }
        return text
    }

    func int(_ name: String) throws(APIError) -> Int? {
        guard let value = json[name], !value.isNull else { return nil }
        if let number = value.intValue { return number }
        if let text = value.stringValue, let number = Int(text.trimmed) { return number }
        throw APIError.badRequest("\(name) must be an integer", field: name)
    }

    func double(_ name: String) throws(APIError) -> Double? {
        guard let value = json[name], !value.isNull else { return nil }
        if let number = value.doubleValue, number.isFinite { return number }
        if let text = value.stringValue, let number = Double(text.trimmed), number.isFinite { return number }
        throw APIError.badRequest("\(name) must be a number", field: name)
    }

    func positiveID(_ name: String) throws(APIError) -> Int {
        guard let number = try int(name) else { throw APIError.badRequest("\(name) is required", field: name) }
        guard number > 0, number <= Int(Int32.max) else {
            throw APIError.badRequest("\(name) must be a positive integer", field: name)
        }
        return number
    }

    func bool(_ name: String) throws(APIError) -> Bool? {
        guard let value = json[name], !value.isNull else { return nil }
        if let flag = value.boolValue { return flag }
        if let number = value.intValue, number == 0 || number == 1 { return number == 1 }
        if let text = value.stringValue {
            switch text.lowercased() {
            case "true", "1", "yes", "on": return true
            case "false", "0", "no", "off": return false
            default: break
            }
        }
        throw APIError.badRequest("\(name) must be true or false", field: name)
    }
}

extension BodyFields {
    /// A stats window (`1h`, `24h`, `7d`, `30d`); 24 h when absent.
    func period(_ name: String = "period") throws(APIError) -> StatsPeriod {
        guard let text = try string(name) else { return .day }
        guard let period = StatsPeriod(rawValue: text) else {
            throw APIError.badRequest("\(name) must be one of \(StatsPeriod.allCases.map(\.rawValue).joined(separator: ", "))",
                                      field: name)
        }
        return period
    }
}

extension FormFields {
    var fields: BodyFields { BodyFields(json) }
}
