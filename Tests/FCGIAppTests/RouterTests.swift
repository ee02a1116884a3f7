import XCTest
import Coaching
import Experiments
import Foundation
@testable import FCGIApp

final class RouterTests: XCTestCase {
    private func request(_ method: String, _ path: String) -> HTTPRequest {
        HTTPRequest(method: method, path: path, queryString: "", params: [:], body: [])
    }

    private enum Outcome: Equatable {
        case handled
        case rejected(APIError)

        var status: Int? {
            if case .rejected(let error) = self { return error.status }
            return nil
        }
    }

    /// What the router made of the request; any error other than an `APIError` fails the test,
    /// because only `APIError`s map to an HTTP status.
    private func outcome(_ router: Router, _ method: String, _ path: String,
                         file: StaticString = #filePath, line: UInt = #line) -> Outcome? {
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
            return .handled
        } catch let error as APIError {
            return .rejected(error)
        } catch {
            XCTFail("\(method) \(path) threw \(error), which is not an APIError", file: file, line: line)
            return nil
        }
    }

    func testMatchesPlaceholdersAndMethods() {
        var router = Router()
        router.add("POST", "/api/coaching/hints/{id}/view") { _, parameters, _ in
            .json(.int(parameters.id()))
        }
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/12/view"), .handled)
        XCTAssertEqual(outcome(router, "GET", "/api/coaching/hints/12/view"), .rejected(.methodNotAllowed(allowed: ["POST"])))
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/abc/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/0/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/hints/99999999999/view")?.status, 400)
        XCTAssertEqual(outcome(router, "POST", "/api/coaching/nothing")?.status, 404)
    }

    func testKeyPlaceholdersAcceptOnlyWhatTheKeyRuleAccepts() {
        var router = Router(isKey: { $0.allSatisfy(\.isLowercase) })
        router.add("GET", "/experiments/{key}") { _, parameters, _ in .json(.string(parameters.key)) }
        XCTAssertEqual(outcome(router, "GET", "/experiments/abc"), .handled)
        XCTAssertEqual(outcome(router, "GET", "/experiments/ABC")?.status, 400)
        var strict = Router()
        strict.add("GET", "/experiments/{key}") { _, _, _ in .json(.null) }
        XCTAssertEqual(outcome(strict, "GET", "/experiments/abc")?.status, 400, "no key rule: no key is well formed")
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
