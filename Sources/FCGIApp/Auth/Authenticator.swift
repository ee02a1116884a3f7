import Coaching
import Foundation

/// Finds the caller of a request: a bearer token, else the token cookie, else (when the nginx site
/// is configured for `auth_request`) the identity params nginx itself set. Cookie-based identities
/// are ambient browser credentials, so their unsafe requests must also pass the CSRF check.
struct Authenticator: Sendable {
    struct Identity {
        let principal: Principal
        let isAmbient: Bool
    }

    let secret: String
    let cookieName: String
    let trustNginxIdentity: Bool
    let cache = VerifiedTokenCache()

    init(secret: String, cookieName: String, trustNginxIdentity: Bool) {
        self.secret = secret
        self.cookieName = cookieName
        self.trustNginxIdentity = trustNginxIdentity
    }

    func identify(_ request: HTTPRequest) throws(APIError) -> Identity {
        if let authorization = request.header("HTTP_AUTHORIZATION"), !authorization.isEmpty {
            guard let space = authorization.utf8.firstIndex(of: UInt8(ascii: " ")),
                  authorization.utf8[..<space].count == 6,
                  authorization[..<space].lowercased() == "bearer" else {
                throw APIError.unauthorized("unsupported authorization scheme; use Bearer")
            }
            let token = authorization[authorization.utf8.index(after: space)...]
            let padded = token.first == " " || token.first == "\t" || token.last == " " || token.last == "\t"
            return Identity(principal: try verify(padded ? String(token).trimmed : String(token)), isAmbient: false)
        }
        if let token = cookie(named: cookieName, in: request.header("HTTP_COOKIE")) {
            return Identity(principal: try verify(token), isAmbient: true)
        }
        if trustNginxIdentity, let userText = request.param("COACHING_AUTH_USER_ID"), !userText.isEmpty {
            guard let userID = RouteParameters.positiveID(userText),
                  let role = Principal.Role(rawValue: request.param("COACHING_AUTH_ROLE") ?? "agent") else {
                throw APIError.unauthorized("invalid identity from the host application")
            }
            return Identity(principal: Principal(userID: userID, role: role), isAmbient: true)
        }
        throw APIError.unauthorized("authentication required")
    }

    private func verify(_ token: String) throws(APIError) -> Principal {
        let now = Date().timeIntervalSince1970
        if let principal = cache.principal(for: token, now: now) { return principal }
        do {
            let verified = try AccessToken.verifyWithExpiry(token, secret: secret)
            cache.store(verified.principal, for: token, expiresAt: verified.expiresAt)
            return verified.principal
        } catch .expired {
            throw APIError.unauthorized("token expired")
        } catch {
            throw APIError.unauthorized("invalid token")
        }
    }

    func cookie(named name: String, in header: String?) -> String? {
        guard let header else { return nil }
        for part in header.split(separator: ";") {
            let pair = part.split(separator: "=", maxSplits: 1)
            if pair.count == 2, pair[0].trimmingCharacters(in: .whitespaces) == name {
                let value = pair[1].trimmingCharacters(in: .whitespaces)
                return value.isEmpty ? nil : value
            }
        }
        return nil
    }
}
