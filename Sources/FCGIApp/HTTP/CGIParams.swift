/// The FastCGI params the service reads, by name. Only this fixed set is ever copied out of
/// libfcgi's list, so they live in one small array in the order of `names` instead of a dictionary:
/// every request builds one, and looking up a dozen short names by position is cheaper than hashing.
struct CGIParams: Sendable, Equatable, ExpressibleByDictionaryLiteral {
    static let names: [String] = [
        "REQUEST_METHOD", "REQUEST_URI", "DOCUMENT_URI", "QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE",
        "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_REFERER", "HTTP_HOST", "HTTP_SEC_FETCH_SITE",
        "COACHING_HTTP_HOST", "SERVER_PORT", "COACHING_AUTH_USER_ID", "COACHING_AUTH_ROLE",
    ]

    private var values: [String?]

    init() {
        values = Array(repeating: nil, count: Self.names.count)
    }

    /// Params given by name (tests, tools); names the service does not read are dropped, as they
    /// are from nginx.
    init(dictionaryLiteral elements: (String, String)...) {
        self.init()
        for (name, value) in elements { self[name] = value }
    }

    init(_ dictionary: [String: String]) {
        self.init()
        for (name, value) in dictionary { self[name] = value }
    }

    /// The value at the position of `Self.names`; the first value set wins.
    mutating func setFirst(at index: Int, _ value: String) {
        if values[index] == nil { values[index] = value }
    }

    subscript(name: String) -> String? {
        get { Self.names.firstIndex(of: name).flatMap { values[$0] } }
        set {
            guard let index = Self.names.firstIndex(of: name) else { return }
            values[index] = newValue
        }
    }
}
