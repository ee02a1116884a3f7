import Coaching

#if canImport(Glibc)
import Glibc
import JSON
#endif

/// Feeds one arbitrary byte string to every parser that reads client input: the FastCGI params
/// copy, query and form decoding, the JSON parser and the typed body-field reads. The libFuzzer
/// target in `fuzz/` calls it for each generated input, and the regression tests replay the inputs
/// kept in `fuzz/`. A parser may only answer with a value or a typed error; a trap is a bug, and so
/// is a JSON value that does not survive being written and parsed again (checked with
/// `precondition`, which stays active in optimised builds).
enum RequestParsingExercise {
    /// Field names the routes read, so typed reads run on fields that exist in fuzzed bodies.
    static let fieldNames = ["hint_id", "feedback", "helpful", "suggestion_index", "conversation_id", "is_typing",
                             "reason", "message_id", "content", "sender_type", "created_at", "a", "0"]

    static func run(_ data: [UInt8]) {
        checkJSONRoundTrip(data)
        let text = String(decoding: data, as: UTF8.self)
        if let form = try? FormFields(decoding: text, source: "fuzz") { readFields(form.fields) }
        for mediaType in ["application/json", "application/x-www-form-urlencoded; charset=UTF-8", "text/plain", nil] {
            var params = ["REQUEST_METHOD": "POST"]
            if let mediaType { params["CONTENT_TYPE"] = mediaType }
            let request = HTTPRequest(method: "POST", path: "/api/coaching/typing", queryString: text, params: params, body: data)
            if let fields = try? request.bodyFields() { readFields(fields) }
            _ = try? request.query()
        }
        exerciseParams(data)
    }

    static func checkJSONRoundTrip(_ data: [UInt8]) {
        guard let value = try? JSONParser.parse(data) else { return }
        let written = JSONWriter.bytes(value)
        guard let again = try? JSONParser.parse(written) else {
            preconditionFailure("the writer's output of a parsed value does not parse: \(String(decoding: written, as: UTF8.self))")
        }
        precondition(again == value, "a JSON value changed when written and parsed again")
    }

    static func readFields(_ fields: BodyFields) {
        var names = fieldNames
        if let members = fields.json.objectValue { names += members.prefix(16).map(\.0) }
        for name in names {
            _ = fields.has(name)
            _ = try? fields.string(name)
            _ = try? fields.int(name)
            _ = try? fields.double(name)
            _ = try? fields.bool(name)
            if let id = try? fields.positiveID(name) { precondition(id > 0 && id <= Int(Int32.max)) }
        }
    }

    /// The bytes split at NUL into `NAME=value` entries, as libfcgi hands them over.
    static func exerciseParams(_ data: [UInt8]) {
        let entries = data.split(separator: 0, omittingEmptySubsequences: false).prefix(64)
        var pointers: [UnsafeMutablePointer<CChar>?] = entries.map { entry in
            let copy = UnsafeMutablePointer<CChar>.allocate(capacity: entry.count + 1)
            for (offset, byte) in entry.enumerated() { copy[offset] = CChar(bitPattern: byte) }
            copy[entry.count] = 0
            return copy
        }
        pointers.append(nil)
        defer { for pointer in pointers { pointer?.deallocate() } }
        let params = pointers.withUnsafeMutableBufferPointer { FastCGIParams.copy($0.baseAddress) }
        for name in CGIParams.names { _ = params[name]?.utf8.count }
        let request = HTTPRequest(method: params["REQUEST_METHOD"] ?? "GET", path: params["DOCUMENT_URI"] ?? "/",
                                  queryString: params["QUERY_STRING"] ?? "", params: params, body: [])
        _ = request.mediaType
        if let form = try? request.query() { readFields(form.fields) }
    }
}
