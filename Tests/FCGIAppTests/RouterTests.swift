import XCTest
import Coaching
import Experiments
import Foundation
@testable import FCGIApp

final class RouterTests: XCTestCase {
    private func request(_ method: String, _ path: String) -> HTTPRequest {
        HTTPRequest(method: method, path: path, queryString: "", params: [:], body: [])
    }

    private func outcome(_ router: Router, _ method: String, _ path: String) -> APIError? {
        let context = RequestContext(
            configuration: try! AppConfiguration(values: [:]),
            settingsProvider: SettingsProvider(),
            authenticator: Authenticator(secret: "", cookieName: "c", trustNginxIdentity: false),
            prompts: try! PromptCatalog(directory: URL(fileURLWithPath: #filePath)
                .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("prompts").path),
            logger: .init(label: "test"))
        do {
            _ = try router.handle(request(method, path), context: context)
            return nil
        } catch {
            return error as? APIError
        }
    }

    func testMatchesPlaceholdersAndMethods() {
        var router = Router()
        router.add("POST", "/api/coaching/hints/{id}/view") { _, parameters, _ in
            .json(.int(parameters.id()))
        }
        XCTAssertNil(outcome(router, "POST", "/api/coaching/hints/12/view"))
        XCTAssertEqual(outcome(router, "GET", "/api/coaching/hints/12/view"), .methodNotAllowed(allowed: ["POST"]))
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/abc/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/0/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/99999999999/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/nothing")?.status, 404)
    }

    func testCSRFAcceptsSameOriginJSONAndRejectsCrossSite() {
        func post(_ headers: [String: String]) -> HTTPRequest {
            var params = ["HTTP_HOST": "app.example:8080"]
            params.merge(headers) { $1 }
            return HTTPRequest(method: "POST", path: "/", queryString: "", params: params, body: [])
        }
        XCTAssertNoThrow(try CSRFGuard.check(post(["HTTP_ORIGIN": "http://app.example:8080", "CONTENT_TYPE": "application/json"])))
        XCTAssertNoThrow(try CSRFGuard.check(post(["CONTENT_TYPE": "application/json"])))
        XCTAssertThrowsError(try CSRFGuard.check(post(["HTTP_ORIGIN": "http://evil.example", "CONTENT_TYPE": "application/json"])))
        XCTAssertThrowsError(try CSRFGuard.check(post(["CONTENT_TYPE": "application/x-www-form-urlencoded"])))
        XCTAssertNoThrow(try CSRFGuard.check(post(["HTTP_REFERER": "http://app.example:8080/chat", "CONTENT_TYPE": "application/x-www-form-urlencoded"])))
        XCTAssertThrowsError(try CSRFGuard.check(post(["HTTP_ORIGIN": "null", "CONTENT_TYPE": "application/json"])))
    }
}
