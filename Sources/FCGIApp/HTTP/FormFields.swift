import Coaching
import JSON

/// `application/x-www-form-urlencoded` and query-string decoding, including PHP's bracket names
/// (`a[b]=1`, `list[]=x`) because the host application's forms use them. The result is a JSON
/// object so that handlers read forms and JSON bodies the same way.
struct FormFields {
    static let maxPairs = 1000
    static let maxDepth = 16

    private(set) var json: JSONValue = .object([])

    init(decoding text: String, source: String) throws(APIError) {
        if text.isEmpty { return }
        let bytes = Array(text.utf8)
        var members: [(String, JSONValue)] = []
        var pairs = 0
        var start = 0
        while start < bytes.count {
            var end = start
            while end < bytes.count, bytes[end] != UInt8(ascii: "&") { end += 1 }
            defer { start = end + 1 }
            if end == start { continue }
            pairs += 1
            guard pairs <= Self.maxPairs else {
                throw APIError.badRequest("too many fields in the \(source)", field: nil)
            }
            var equals = start
            while equals < end, bytes[equals] != UInt8(ascii: "=") { equals += 1 }
            guard let name = Self.percentDecode(bytes[start..<equals]) else {
                throw APIError.badRequest("invalid percent-encoding in the \(source)", field: nil)
            }
            guard let value = Self.percentDecode(equals < end ? bytes[(equals + 1)..<end] : []) else {
                throw APIError.badRequest("invalid percent-encoding in the \(source) field \(name)", field: name)
            }
            guard !name.isEmpty else { continue }
            let path = try Self.keyPath(name, source: source)
            let existing = members.firstIndex { $0.0 == path[0] }
            if path.count == 1 {
                if existing == nil { members.append((name, .string(value))) } // first occurrence wins
            } else if let existing {
                members[existing].1 = Self.insert(.string(value), at: path.dropFirst(), into: members[existing].1)
            } else {
                members.append((path[0], Self.insert(.string(value), at: path.dropFirst(), into: .null)))
            }
        }
        json = .object(members)
    }

    /// First value of a plain field, as text.
    func string(_ name: String) -> String? { json[name]?.stringValue }

    /// `a[b][]` → ["a", "b", ""]; an empty component means "append".
    static func keyPath(_ name: String, source: String) throws(APIError) -> [String] {
        guard name.utf8.contains(UInt8(ascii: "[")), let open = name.firstIndex(of: "["), name.last == "]" else {
            return [name]
        }
        var components = [String(name[..<open])]
        var rest = name[open...]
        while !rest.isEmpty {
            guard rest.first == "[", let close = rest.firstIndex(of: "]") else {
                throw APIError.badRequest("malformed field name \(name) in the \(source)", field: name)
            }
            components.append(String(rest[rest.index(after: rest.startIndex)..<close]))
            rest = rest[rest.index(after: close)...]
        }
        guard components.count <= maxDepth, !components[0].isEmpty else {
            throw APIError.badRequest("malformed field name \(name) in the \(source)", field: name)
        }
        return components
    }

    private static func insert(_ value: JSONValue, at path: ArraySlice<String>, into container: JSONValue) -> JSONValue {
        guard let key = path.first else { return value }
        let rest = path.dropFirst()
        if key.isEmpty {
            var elements = container.arrayValue ?? []
            elements.append(insert(value, at: rest, into: .null))
            return .array(elements)
        }
        let existing = container[key]
        if rest.isEmpty, existing != nil { return container } // first occurrence wins, as in query strings
        let child = insert(value, at: rest, into: existing ?? .null)
        if case .object = container { return container.setting(key, to: child) }
        return JSONValue.object([(key, child)])
    }

    /// Decodes `%XX` and `+`; nil when the escapes are malformed or the bytes are not UTF-8.
    static func percentDecode<S: StringProtocol>(_ text: S) -> String? {
        percentDecode(ArraySlice(text.utf8))
    }

    static func percentDecode(_ encoded: ArraySlice<UInt8>) -> String? {
        if !encoded.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) {
            return String(validating: encoded, as: UTF8.self)
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(encoded.count)
        var iterator = encoded.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "+"): bytes.append(0x20)
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else { return nil }
                bytes.append(high << 4 | low)
            default: bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case 0x30...0x39: return byte - 0x30
        case 0x41...0x46: return byte - 0x41 + 10
        case 0x61...0x66: return byte - 0x61 + 10
        default: return nil
        }
    }
}
