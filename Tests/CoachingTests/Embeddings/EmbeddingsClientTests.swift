import Foundation
import XCTest
import JSON
@testable import Coaching

/// The blocking embeddings client against a real HTTP server: a small Python standard-library server
/// started per test, whose behaviour is chosen by the first segments of the base URL's path, and
/// which records the last request it received in a file the test reads.
final class EmbeddingsClientTests: XCTestCase {
    private var server: EmbeddingsTestServer!

    override func setUpWithError() throws {
        server = try EmbeddingsTestServer.start()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func makeClient(_ scenario: String, model: String = "e5-test", apiKey: String = "",
                            timeoutMilliseconds: Int = 2_000) throws -> EmbeddingsClient {
        try EmbeddingsClient(configuration: EmbeddingsConfiguration(
            baseURL: "http://127.0.0.1:\(server.port)/\(scenario)/v1",
            model: model, apiKey: apiKey, timeoutMilliseconds: timeoutMilliseconds))
    }

    /// The error `embed` throws, or nil when it answers.
    private func failure(_ client: EmbeddingsClient, _ texts: [String]) -> EmbeddingsError? {
        do {
            _ = try client.embed(texts)
            return nil
        } catch {
            return error
        }
    }

    func testA200WithTwoEmbeddingsGivesTwoVectorsInInputOrder() throws {
        let client = try makeClient("ok")
        let response = try client.embed(["hi", "quanto custa?"])
        XCTAssertEqual(response.embeddings.count, 2)
        XCTAssertEqual(response.model, "fake-embedder")
        XCTAssertEqual(response.promptTokens, 5)
        // The server answers in reverse order; each vector is [position + 1, length of its text, 0.5],
        // so the order must have been restored from `index`.
        let expected: [[Float]] = [[1, 2, 0.5], [2, 13, 0.5]]
        for (embedding, raw) in zip(response.embeddings, expected) {
            let wanted = try XCTUnwrap(Embedding(raw))
            XCTAssertEqual(embedding.dimensions, 3)
            XCTAssertEqual(embedding.cosine(wanted), 1, accuracy: 1e-5, "\(embedding.values) vs \(wanted.values)")
        }
        XCTAssertLessThan(response.embeddings[0].cosine(response.embeddings[1]), 0.99)
    }

    func testTheRequestBodyNamesTheModelAndEveryInput() throws {
        let client = try makeClient("ok", model: "multilingual-e5-small", apiKey: "emb-key-1")
        _ = try client.embed(["achei caro", "send the \"contract\""])
        let recorded = try server.lastRequest()
        XCTAssertEqual(recorded["method"]?.stringValue, "POST")
        XCTAssertEqual(recorded["path"]?.stringValue, "/ok/v1/embeddings")
        XCTAssertEqual(recorded["content_type"]?.stringValue, "application/json")
        XCTAssertEqual(recorded["authorization"]?.stringValue, "Bearer emb-key-1")
        let body = try XCTUnwrap(recorded["body"])
        XCTAssertEqual(body["model"]?.stringValue, "multilingual-e5-small")
        XCTAssertEqual(body["input"]?.arrayValue?.compactMap(\.stringValue), ["achei caro", "send the \"contract\""])
        XCTAssertEqual(body["encoding_format"]?.stringValue, "float")
    }

    func testNoKeyMeansNoAuthorizationHeader() throws {
        let client = try makeClient("ok", apiKey: "")
        _ = try client.embed(["one"])
        XCTAssertEqual(try server.lastRequest()["authorization"], .null)
    }

    func testOneClientServesSeveralCallsEachDecodedOnItsOwn() throws {
        let client = try makeClient("ok")
        XCTAssertEqual(try client.embed(["a", "bb"]).embeddings.count, 2)
        // A buffer left over from the first answer would make this one unreadable.
        let second = try client.embed(["x", "yy", "zzz"])
        XCTAssertEqual(second.embeddings.count, 3)
        XCTAssertEqual(second.embeddings[2].cosine(try XCTUnwrap(Embedding([3, 3, 0.5]))), 1, accuracy: 1e-5)
    }

    func testNoTextsMeansNoRequest() throws {
        let client = try makeClient("ok", model: "m")
        let response = try client.embed([])
        XCTAssertEqual(response.embeddings, [])
        XCTAssertEqual(response.model, "m")
        XCTAssertThrowsError(try server.lastRequest(), "the server was not called")
    }

    func testAServerErrorIsAnHTTPErrorOfKind5xx() throws {
        let client = try makeClient("status/500")
        let error = failure(client, ["hello"])
        XCTAssertEqual(error, .http(status: 500))
        XCTAssertEqual(error?.kind, "http_5xx")
    }

    func testAClientErrorKeepsItsStatusInTheKind() throws {
        let client = try makeClient("status/401")
        let error = failure(client, ["hello"])
        XCTAssertEqual(error, .http(status: 401))
        XCTAssertEqual(error?.kind, "http_401")
    }

    func testAnUnreadable200IsAnInvalidResponse() throws {
        let client = try makeClient("notjson")
        guard case .invalidResponse = failure(client, ["hello"]) else {
            return XCTFail("expected invalidResponse")
        }
    }

    func testAServerSlowerThanTheTimeoutTimesOutWithinASecond() throws {
        let client = try makeClient("sleep/3000", timeoutMilliseconds: 200)
        let started = Date()
        let error = failure(client, ["hello"])
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(error, .timeout)
        XCTAssertEqual(error?.kind, "timeout")
        XCTAssertGreaterThanOrEqual(elapsed, 0.15, "waited for the timeout")
        XCTAssertLessThan(elapsed, 1.0)
    }

    func testAServerWithinTheTimeoutAnswers() throws {
        let client = try makeClient("sleep/100", timeoutMilliseconds: 1_500)
        XCTAssertEqual(try client.embed(["hello"]).embeddings.count, 1)
    }

    func testAClosedPortIsAConnectionError() throws {
        let closedPort = try EmbeddingsTestServer.unusedPort()
        let client = try EmbeddingsClient(configuration: EmbeddingsConfiguration(
            baseURL: "http://127.0.0.1:\(closedPort)/v1", model: "m", timeoutMilliseconds: 2_000))
        let started = Date()
        let error = failure(client, ["hello"])
        guard case .connection = error else { return XCTFail("expected a connection error, got \(String(describing: error))") }
        XCTAssertEqual(error?.kind, "connection")
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.5, "refused at once, not timed out")
    }

    func testAnEmptyBaseURLIsNotConfigured() {
        XCTAssertThrowsError(try EmbeddingsClient(configuration: EmbeddingsConfiguration(baseURL: "", model: "m"))) { error in
            XCTAssertEqual(error as? EmbeddingsError, .notConfigured)
            XCTAssertEqual((error as? EmbeddingsError)?.kind, "not_configured")
        }
    }

    func testABaseURLThatIsNotHTTPIsRefused() {
        XCTAssertThrowsError(try EmbeddingsClient(configuration: EmbeddingsConfiguration(baseURL: "ftp://host/v1", model: "m"))) { error in
            guard case .connection = error as? EmbeddingsError else { return XCTFail("expected connection, got \(error)") }
        }
    }

    func testConfigurationDropsATrailingSlashAndSaysWhetherItIsOn() {
        let configuration = EmbeddingsConfiguration(baseURL: "http://h:8000/v1/", model: "m")
        XCTAssertEqual(configuration.baseURL, "http://h:8000/v1")
        XCTAssertEqual(configuration.endpointURL, "http://h:8000/v1/embeddings")
        XCTAssertTrue(configuration.isEnabled)
        XCTAssertFalse(EmbeddingsConfiguration(baseURL: "", model: "m").isEnabled)
    }
}

/// A throwaway OpenAI-compatible embeddings server in Python's standard library. Path scenarios:
/// `/ok/…` answers one vector per input (`[position + 1, len(text), 0.5]`, listed in reverse order),
/// `/status/N/…` answers N, `/sleep/MS/…` answers like `ok` after MS ms, `/notjson/…` sends an
/// unreadable 200. Every request is written (method, path, headers, parsed body) to a file first.
private final class EmbeddingsTestServer {
    private let server: PythonTestServer
    private let recordPath: String

    var port: Int { server.port }

    private init(server: PythonTestServer, recordPath: String) {
        self.server = server
        self.recordPath = recordPath
    }

    static func start() throws -> EmbeddingsTestServer {
        let recordPath = FileManager.default.temporaryDirectory
            .appendingPathComponent("embeddings-request-\(UUID().uuidString).json").path
        return EmbeddingsTestServer(server: try PythonTestServer.start(script: script, arguments: [recordPath]),
                                    recordPath: recordPath)
    }

    func stop() {
        server.stop()
        try? FileManager.default.removeItem(atPath: recordPath)
    }

    /// The last request the server received; throws when it received none.
    func lastRequest() throws -> JSONValue {
        guard let data = FileManager.default.contents(atPath: recordPath) else {
            throw TestServerError("the server recorded no request")
        }
        return try JSONParser.parse([UInt8](data))
    }

    static func unusedPort() throws -> Int {
        try PythonTestServer.unusedPort()
    }

    private static let script = #"""
import json, os, sys, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

record_path = sys.argv[1]

def embeddings(request):
    inputs = request.get("input") or []
    if isinstance(inputs, str):
        inputs = [inputs]
    data = [{"object": "embedding", "index": i, "embedding": [float(i + 1), float(len(text)), 0.5]}
            for i, text in enumerate(inputs)]
    data.reverse()
    return json.dumps({"object": "list", "model": "fake-embedder", "data": data,
                       "usage": {"prompt_tokens": 5, "total_tokens": 5}}).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        try:
            request = json.loads(raw)
        except Exception:
            request = None
        with open(record_path + ".tmp", "w") as record:
            json.dump({"method": "POST", "path": self.path, "authorization": self.headers.get("Authorization"),
                       "content_type": self.headers.get("Content-Type"), "body": request}, record)
        os.replace(record_path + ".tmp", record_path)
        parts = self.path.split("/")
        scenario = parts[1] if len(parts) > 1 else ""
        argument = parts[2] if len(parts) > 2 else ""
        if scenario == "ok":
            self.reply(200, embeddings(request or {}))
        elif scenario == "status":
            self.reply(int(argument), b'{"error":{"message":"scripted failure"}}')
        elif scenario == "sleep":
            time.sleep(int(argument) / 1000)
            self.reply(200, embeddings(request or {}))
        elif scenario == "notjson":
            self.reply(200, b"<html>bad gateway</html>")
        else:
            self.reply(404, b"{}")

class Server(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
