import CCurl
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The URL and request headers every transfer of one client shares. libcurl reads the header list
/// without copying it, so the endpoint outlives every transfer that uses it (each transfer holds it).
/// Immutable after init.
final class CurlEndpoint: @unchecked Sendable {
    let url: String
    let isTLS: Bool
    let headers: UnsafeMutablePointer<curl_slist>

    init(url: String, apiKey: String) throws(LLMClientSetupError) {
        self.url = url
        isTLS = url.lowercased().hasPrefix("https://")
        var lines = [
            "Content-Type: application/json",
            "Accept: application/json",
            // Bodies are small; waiting for `100 Continue` would only add a round trip.
            "Expect:",
        ]
        if !apiKey.isEmpty { lines.append("Authorization: Bearer \(apiKey)") }
        var list: UnsafeMutablePointer<curl_slist>?
        for line in lines {
            guard let extended = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw LLMClientSetupError("libcurl could not allocate the request headers")
            }
            list = extended
        }
        guard let list else { throw LLMClientSetupError("libcurl could not allocate the request headers") }
        headers = list
    }

    deinit {
        curl_slist_free_all(headers)
    }
}
