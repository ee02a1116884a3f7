import XCTest
@testable import FCGIApp

final class CGIParamsTests: XCTestCase {
    func testKeepsOnlyTheParamsTheServiceReads() {
        let params: CGIParams = ["HTTP_AUTHORIZATION": "Bearer x", "HTTP_X_FORWARDED_FOR": "10.0.0.1"]
        XCTAssertEqual(params["HTTP_AUTHORIZATION"], "Bearer x")
        XCTAssertNil(params["HTTP_X_FORWARDED_FOR"])
        XCTAssertNil(params["HTTP_COOKIE"])
    }

    func testFirstValueOfARepeatedParamWins() {
        var params = CGIParams()
        let index = CGIParams.names.firstIndex(of: "COACHING_AUTH_USER_ID")!
        params.setFirst(at: index, "7")
        params.setFirst(at: index, "")
        XCTAssertEqual(params["COACHING_AUTH_USER_ID"], "7")
    }
}
