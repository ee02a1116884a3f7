#if canImport(Glibc)
import Glibc
#endif

/// Copies the FastCGI params the service reads out of libfcgi's `NAME=value` list, before the
/// request is finished and libfcgi reuses that memory. Kept apart from the libfcgi calls so the
/// request-parsing fuzzer can feed it arbitrary lists.
enum FastCGIParams {
    private static let nameBytes = CGIParams.names.map { Array($0.utf8) }

    /// One pass over libfcgi's `NAME=value` entries, comparing bytes so that only the params read
    /// become strings; the first occurrence of a name wins.
    static func copy(_ envp: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?) -> CGIParams {
        var params = CGIParams()
        guard var cursor = envp else { return params }
        while let entry = cursor.pointee {
            cursor += 1
            guard let equals = strchr(entry, Int32(UInt8(ascii: "="))) else { continue }
            let length = equals - entry
            for (index, name) in nameBytes.enumerated() where name.count == length {
                guard name.withUnsafeBytes({ memcmp($0.baseAddress!, entry, length) }) == 0 else { continue }
                let value = equals + 1
                params.setFirst(at: index, String(decoding: UnsafeRawBufferPointer(start: value, count: strlen(value)),
                                                  as: UTF8.self))
                break
            }
        }
        return params
    }
}
