/// Cross-site request defence for ambient (cookie) credentials, shaped so that the existing chat UI
/// passes unchanged: a same-origin `fetch` POST with `Content-Type: application/json` is accepted
/// (browsers send `Origin`, and cannot send that content type cross-site without a CORS preflight
/// this service never grants). A cross-origin `Origin`/`Referer`, `Sec-Fetch-Site: cross-site`, or
/// a form/other POST with no same-origin proof is rejected.
enum CSRFGuard {
    static func check(_ request: HTTPRequest) throws(APIError) {
        guard request.method != "GET", request.method != "HEAD" else { return }
        let hosts = acceptedAuthorities(request)
        if let site = request.header("HTTP_SEC_FETCH_SITE")?.lowercased(), site == "cross-site" || site == "same-site" {
            throw APIError.csrf
        }
        if let origin = request.header("HTTP_ORIGIN"), !origin.isEmpty {
            guard let authority = authority(of: origin), hosts.contains(authority) else { throw APIError.csrf }
            return
        }
        if let referer = request.header("HTTP_REFERER"), !referer.isEmpty {
            guard let authority = authority(of: referer), hosts.contains(authority) else { throw APIError.csrf }
            return
        }
        guard request.mediaType == "application/json" else { throw APIError.csrf }
    }

    /// The names this site answers to: the Host header as the client sent it (nginx passes it as
    /// `COACHING_HTTP_HOST`, because Debian's `fastcgi_params` replaces `HTTP_HOST` with `$host`,
    /// which drops the port), and the server name with its port.
    static func acceptedAuthorities(_ request: HTTPRequest) -> Set<String> {
        var hosts = Set<String>()
        for name in ["COACHING_HTTP_HOST", "HTTP_HOST"] {
            if let value = request.param(name)?.lowercased(), !value.isEmpty { hosts.insert(value) }
        }
        if let host = request.param("HTTP_HOST")?.lowercased(), !host.isEmpty, !host.contains(":"),
           let port = request.param("SERVER_PORT"), !port.isEmpty {
            hosts.insert("\(host):\(port)")
        }
        return hosts
    }

    /// `https://Example.com:8080/path` → `example.com:8080`; nil for `null` or garbage.
    static func authority(of url: String) -> String? {
        guard let schemeEnd = url.range(of: "://") else { return nil }
        let rest = url[schemeEnd.upperBound...]
        let end = rest.firstIndex(where: { $0 == "/" || $0 == "?" || $0 == "#" }) ?? rest.endIndex
        let authority = rest[..<end].lowercased()
        return authority.isEmpty || authority.contains("@") ? nil : authority
    }
}
