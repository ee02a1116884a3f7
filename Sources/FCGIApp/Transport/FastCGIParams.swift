#if canImport(Glibc)
import Glibc
#endif

/// Copies the FastCGI params the service reads out of libfcgi's `NAME=value` list, before the
/// request is finished and libfcgi reuses that memory. Kept apart from the libfcgi calls so the
/// request-parsing fuzzer can feed it arbitrary lists.
enum FastCGIParams {
    /// The params the service reads; only these are copied.
    static let names: [String] = [
        "REQUEST_METHOD", "REQUEST_URI", "DOCUMENT_URI", "QUERY_STRING", "CONTENT_LENGTH", "CONTENT_TYPE",
        "HTTP_AUTHORIZATION", "HTTP_COOKIE", "HTTP_ORIGIN", "HTTP_REFERER", "HTTP_HOST", "HTTP_SEC_FETCH_SITE",
        "COACHING_HTTP_HOST", "SERVER_PORT", "COACHING_AUTH_USER_ID", "COACHING_AUTH_ROLE",
    ]
    private static let nameBytes = names.map { Array($0.utf8) }

    /// One pass over libfcgi's `NAME=value` entries, comparing bytes so that only the params read
    /// become strings; the first occurrence of a name wins.
    static func copy(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> [String: String] {
        var params = [String: String](minimumCapacity: names.count)
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            cursor += 1
            guard let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
            let length = equals - entry
            for (index, name) in nameBytes.enumerated() where name.count == length {
                guard name.withUnsafeBytes({ memcmp($0.baseAddress!, entry, length) }) == 0 else { continue }
                if params[names[index]] == nil {
                    let value = equals + 1
                    params[names[index]] = String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)),
                                                   as: UTF8.self)
                }
                break
            }
        }
        return params
    }
}
