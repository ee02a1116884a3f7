import Coaching
import Crypto
import Foundation
import JSON

/// HS256 JSON Web Tokens carrying `sub` (user id), `role` and `exp`. The host application mints
/// them with the shared secret; `coaching token` mints them for demos and tests. Only HS256 is
/// accepted: `alg: none` or any other algorithm is rejected before the signature is looked at.
struct AccessToken {
    enum Failure: Error, Equatable {
        case malformed, unsupportedAlgorithm, badSignature, expired, missingClaim(String), invalidClaim(String)
    }

    static func sign(principal: Principal, expiresAt: Date, secret: String) -> String {
        let header = JSONValue.object([("alg", .string("HS256")), ("typ", .string("JWT"))])
        var claims: [(String, JSONValue)] = []
        if let userID = principal.userID { claims.append(("sub", .string(String(userID)))) }
        claims.append(("role", .string(principal.role.rawValue)))
        claims.append(("iat", .int(Int64(Date().timeIntervalSince1970))))
        claims.append(("exp", .int(Int64(expiresAt.timeIntervalSince1970))))
        let signingInput = base64URL(JSONWriter.bytes(header)) + "." + base64URL(JSONWriter.bytes(.object(claims)))
        let key = SymmetricKey(data: Array(secret.utf8))
        let mac = HMAC<SHA256>.authenticationCode(for: Array(signingInput.utf8), using: key)
        return signingInput + "." + base64URL(Array(mac))
    }

    static func verify(_ token: String, secret: String, now: Date = Date()) throws(Failure) -> Principal {
        try verifyWithExpiry(token, secret: secret, now: now).principal
    }

    /// Verifies and also returns `exp`, so that callers may remember the result until then.
    static func verifyWithExpiry(_ token: String, secret: String, now: Date = Date()) throws(Failure) -> (principal: Principal, expiresAt: Double) {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, token.utf8.count <= 8192,
              let headerBytes = base64URLDecode(parts[0]),
              let payloadBytes = base64URLDecode(parts[1]),
              let signature = base64URLDecode(parts[2]),
              let header = try? JSONParser.parse(headerBytes, maxDepth: 4),
              let claims = try? JSONParser.parse(payloadBytes, maxDepth: 8)
        else { throw Failure.malformed }
        guard header["alg"]?.stringValue == "HS256" else { throw Failure.unsupportedAlgorithm }
        let key = SymmetricKey(data: Array(secret.utf8))
        let signingInput = Array(token.utf8.prefix(parts[0].utf8.count + 1 + parts[1].utf8.count))
        guard HMAC<SHA256>.isValidAuthenticationCode(signature, authenticating: signingInput, using: key) else {
            throw Failure.badSignature
        }
        guard let exp = claims["exp"]?.doubleValue else { throw Failure.missingClaim("exp") }
        guard exp > now.timeIntervalSince1970 else { throw Failure.expired }
        if let nbf = claims["nbf"]?.doubleValue, nbf > now.timeIntervalSince1970 + 5 { throw Failure.invalidClaim("nbf") }
        guard let roleText = claims["role"]?.stringValue else { throw Failure.missingClaim("role") }
        guard let role = Principal.Role(rawValue: roleText) else { throw Failure.invalidClaim("role") }
        var userID: Int?
        switch claims["sub"] {
        case .string(let text)?:
            guard let id = RouteParameters.positiveID(text) else { throw Failure.invalidClaim("sub") }
            userID = id
        case .int(let number)?:
            guard number > 0, number <= Int64(Int32.max) else { throw Failure.invalidClaim("sub") }
            userID = Int(number)
        case nil, .null?:
            guard role == .service else { throw Failure.missingClaim("sub") }
        default:
            throw Failure.invalidClaim("sub")
        }
        return (Principal(userID: userID, role: role), exp)
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    static func base64URLDecode<S: StringProtocol>(_ text: S) -> [UInt8]? {
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count * 3 / 4)
        var buffer: UInt32 = 0
        var bits = 0
        for byte in text.utf8 {
            let value: UInt8
            switch byte {
            case 0x41...0x5A: value = byte - 0x41
            case 0x61...0x7A: value = byte - 0x61 + 26
            case 0x30...0x39: value = byte - 0x30 + 52
            case UInt8(ascii: "-"): value = 62
            case UInt8(ascii: "_"): value = 63
            default: return nil
            }
            buffer = buffer << 6 | UInt32(value)
            bits += 6
            if bits >= 8 {
                bits -= 8
                output.append(UInt8(truncatingIfNeeded: buffer >> UInt32(bits)))
            }
        }
        // A single leftover character (6 bits) cannot come from a real encoding.
        return bits >= 6 ? nil : output
    }
}
