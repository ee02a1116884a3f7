import Foundation
import XCTest
import Coaching
@testable import FCGIApp

final class AccessTokenTests: XCTestCase {
    let secret = String(repeating: "s", count: 40)

    func testSignedTokenVerifies() throws {
        let token = AccessToken.sign(principal: Principal(userID: 42, role: .supervisor),
                                     expiresAt: Date().addingTimeInterval(60), secret: secret)
        XCTAssertEqual(try AccessToken.verify(token, secret: secret), Principal(userID: 42, role: .supervisor))
    }

    func testServiceTokenNeedsNoUser() throws {
        let token = AccessToken.sign(principal: Principal(userID: nil, role: .service),
                                     expiresAt: Date().addingTimeInterval(60), secret: secret)
        XCTAssertEqual(try AccessToken.verify(token, secret: secret).role, .service)
    }

    func testRejectsWrongSecretExpiryAndTampering() {
        let token = AccessToken.sign(principal: Principal(userID: 1, role: .agent),
                                     expiresAt: Date().addingTimeInterval(60), secret: secret)
        XCTAssertThrowsError(try AccessToken.verify(token, secret: secret + "x"))
        XCTAssertThrowsError(try AccessToken.verify(token, secret: secret, now: Date().addingTimeInterval(120)))
        var parts = token.split(separator: ".").map(String.init)
        parts[1] = AccessToken.base64URL(Array(#"{"sub":"2","role":"admin","exp":9999999999}"#.utf8))
        XCTAssertThrowsError(try AccessToken.verify(parts.joined(separator: "."), secret: secret))
    }

    func testRejectsAlgNone() {
        let header = AccessToken.base64URL(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let payload = AccessToken.base64URL(Array(#"{"sub":"1","role":"admin","exp":9999999999}"#.utf8))
        XCTAssertThrowsError(try AccessToken.verify("\(header).\(payload).", secret: secret)) { error in
            XCTAssertEqual(error as? AccessToken.Failure, .unsupportedAlgorithm)
        }
    }
}
