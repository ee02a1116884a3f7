import Foundation
import XCTest
import JSON
@testable import Coaching

/// The client against a real HTTP server: a small Python standard-library server started per test,
/// whose behaviour is chosen by the first segments of the base URL's path.
final class OpenAIClientTests: XCTestCase {
    private var server: PythonTestServer!

    override func setUpWithError() throws {
        server = try ScriptedLLMServer.start()
    }

    override func tearDown() {
        server?.stop()
        server = nil
    }

    private func makeClient(_ scenario: String, _ adjust: (inout LLMClientConfiguration) -> Void = { _ in }) throws -> OpenAIClient {
        var configuration = LLMClientConfiguration(
            baseURL: "http://127.0.0.1:\(server.port)/\(scenario)/v1",
            apiKey: "sk-test-123",
            baseBackoffMilliseconds: 20,
            maxBackoffMilliseconds: 100
        )
        adjust(&configuration)
        return try OpenAIClient(configuration: configuration)
    }

    private let request = ChatCompletionRequest(
        model: "gpt-test",
        messages: [ChatMessage(role: "system", content: "Answer in JSON."), ChatMessage(role: "user", content: "Olá, \"preço\"?")],
        temperature: 0.3,
        maxTokens: 120,
        jsonResponseFormat: true
    )

    private func call(_ client: OpenAIClient, timeout: TimeInterval = 10) throws -> Result<ChatCompletionResponse, LLMError> {
        let collector = CompletionCollector()
        client.submit(request, completion: collector.record)
        return try XCTUnwrap(collector.wait(for: 1, timeout: timeout)?.first, "no completion within \(timeout) s")
    }

    func testCompletesWithContentUsageAndTheRequestItSent() throws {
        let client = try makeClient("ok")
        defer { client.shutdown() }
        let response = try call(client).get()
        XCTAssertEqual(response.promptTokens, 11)
        XCTAssertEqual(response.completionTokens, 7)
        XCTAssertEqual(response.model, "fake-model")
        XCTAssertEqual(response.attempts, 1)
        XCTAssertGreaterThanOrEqual(response.latencyMilliseconds, 0)

        let echo = try JSONParser.parse(response.content)
        XCTAssertEqual(echo["path"]?.stringValue, "/ok/v1/chat/completions")
        XCTAssertEqual(echo["authorization"]?.stringValue, "Bearer sk-test-123")
        XCTAssertEqual(echo["contentType"]?.stringValue, "application/json")
        let sent = try XCTUnwrap(echo["request"])
        XCTAssertEqual(sent["model"]?.stringValue, "gpt-test")
        XCTAssertEqual(sent["temperature"]?.doubleValue, 0.3)
        XCTAssertEqual(sent["max_tokens"]?.intValue, 120)
        XCTAssertEqual(sent["response_format"]?["type"]?.stringValue, "json_object")
        XCTAssertEqual(sent["messages"]?.arrayValue?.count, 2)
        XCTAssertEqual(sent["messages"]?.arrayValue?.last?["content"]?.stringValue, "Olá, \"preço\"?")
        XCTAssertEqual(client.circuitState, .closed)
    }

    func testOmitsResponseFormatAndAuthorizationWhenNotWanted() throws {
        let client = try makeClient("ok") { $0.apiKey = "" }
        defer { client.shutdown() }
        var plain = request
        plain.jsonResponseFormat = false
        let collector = CompletionCollector()
        client.submit(plain, completion: collector.record)
        let response = try XCTUnwrap(collector.wait(for: 1, timeout: 10)?.first).get()
        let echo = try JSONParser.parse(response.content)
        XCTAssertEqual(echo["authorization"], .null)
        XCTAssertNil(echo["request"]?["response_format"])
    }

    func testHonoursRetryAfterThenSucceeds() throws {
        let client = try makeClient("retryafter")
        defer { client.shutdown() }
        let started = Date()
        let response = try call(client).get()
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(response.attempts, 2)
        XCTAssertEqual(try JSONParser.parse(response.content)["hits"]?.intValue, 2)
        XCTAssertGreaterThanOrEqual(elapsed, 1.0, "waited for Retry-After: 1")
        XCTAssertGreaterThanOrEqual(response.latencyMilliseconds, 1_000)
        XCTAssertLessThan(elapsed, 3.0)
    }

    func testRetryAfterBeyondTheBudgetFailsAtOnce() throws {
        let client = try makeClient("retryafter") { $0.totalTimeoutMilliseconds = 800 }
        defer { client.shutdown() }
        let started = Date()
        XCTAssertEqual(try call(client), .failure(.http(status: 429, attempts: 1)))
        XCTAssertLessThan(Date().timeIntervalSince(started), 0.7)
    }

    func testServerErrorsAreRetriedUpToMaxAttempts() throws {
        let client = try makeClient("status/500")
        defer { client.shutdown() }
        XCTAssertEqual(try call(client), .failure(.http(status: 500, attempts: 3)))
    }

    func testClientErrorsAreNotRetried() throws {
        let client = try makeClient("status/400")
        defer { client.shutdown() }
        XCTAssertEqual(try call(client), .failure(.http(status: 400, attempts: 1)))
    }

    func testAHangingServerTimesOutWithinTheTotalBudget() throws {
        let client = try makeClient("hang") { $0.totalTimeoutMilliseconds = 1_500 }
        defer { client.shutdown() }
        let started = Date()
        let result = try call(client)
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(result, .failure(.timeout(attempts: 1)))
        XCTAssertGreaterThanOrEqual(elapsed, 1.4)
        XCTAssertLessThan(elapsed, 2.5)
    }

    func testRefusedConnectionsAreRetriedThenReportedAsTransportErrors() throws {
        let closedPort = try ScriptedLLMServer.unusedPort()
        let client = try OpenAIClient(configuration: LLMClientConfiguration(
            baseURL: "http://127.0.0.1:\(closedPort)/v1",
            baseBackoffMilliseconds: 10,
            maxBackoffMilliseconds: 20
        ))
        defer { client.shutdown() }
        guard case .failure(.transport(_, let attempts)) = try call(client) else {
            return XCTFail("expected a transport error")
        }
        XCTAssertEqual(attempts, 3)
    }

    func testOversizedBodiesAreAborted() throws {
        for scenario in ["big", "bigstream"] {
            let client = try makeClient(scenario) { $0.maxResponseBytes = 64 * 1024 }
            defer { client.shutdown() }
            XCTAssertEqual(try call(client), .failure(.responseTooLarge), scenario)
        }
    }

    func testUnusableSuccessfulBodiesAreInvalidResponsesWithTheirUsage() throws {
        let notJSON = try makeClient("notjson")
        defer { notJSON.shutdown() }
        guard case .failure(.invalidResponse(_, 0, 0)) = try call(notJSON) else {
            return XCTFail("expected invalidResponse without usage")
        }
        let noChoices = try makeClient("nochoices")
        defer { noChoices.shutdown() }
        guard case .failure(.invalidResponse(_, 5, 2)) = try call(noChoices) else {
            return XCTFail("expected invalidResponse carrying the usage")
        }
        XCTAssertEqual(notJSON.circuitState, .closed)
    }

    func testTheCircuitOpensAfterConsecutiveFailuresAndFailsFast() throws {
        let client = try makeClient("status/503") {
            $0.maxAttempts = 1
            $0.circuitFailureThreshold = 2
            $0.circuitOpenMilliseconds = 60_000
        }
        defer { client.shutdown() }
        XCTAssertEqual(try call(client), .failure(.http(status: 503, attempts: 1)))
        XCTAssertEqual(client.circuitState, .closed)
        XCTAssertEqual(try call(client), .failure(.http(status: 503, attempts: 1)))
        XCTAssertEqual(client.circuitState, .open)
        XCTAssertEqual(try call(client), .failure(.circuitOpen))
    }

    func testManyCallsRunConcurrentlyOnOneThread() throws {
        let client = try makeClient("sleep/300")
        defer { client.shutdown() }
        let count = 200
        let collector = CompletionCollector()
        let started = Date()
        for _ in 0..<count { client.submit(request, completion: collector.record) }
        let results = try XCTUnwrap(collector.wait(for: count, timeout: 20), "not all calls completed")
        let elapsed = Date().timeIntervalSince(started)
        XCTAssertEqual(results.count, count)
        XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, count, "failures: \(results.filter { (try? $0.get()) == nil }.prefix(3))")
        // Serially this would take 200 × 0.3 s = 60 s.
        XCTAssertLessThan(elapsed, 5.0)
    }

    func testCallsBeyondMaxInFlightWaitForAFreeSlot() throws {
        let client = try makeClient("sleep/200") { $0.maxInFlight = 2 }
        defer { client.shutdown() }
        let collector = CompletionCollector()
        let started = Date()
        for _ in 0..<6 { client.submit(request, completion: collector.record) }
        let results = try XCTUnwrap(collector.wait(for: 6, timeout: 10))
        XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, 6)
        XCTAssertGreaterThanOrEqual(Date().timeIntervalSince(started), 0.55, "three rounds of two")
    }

    func testShutdownCancelsEveryCallInFlightExactlyOnce() throws {
        let client = try makeClient("sleep/5000")
        let collector = CompletionCollector()
        for _ in 0..<20 { client.submit(request, completion: collector.record) }
        // One more call, waiting on a timer for its retry when the client stops.
        let retryClient = try makeClient("retryafter")
        retryClient.submit(request, completion: collector.record)
        Thread.sleep(forTimeInterval: 0.4)

        let started = Date()
        client.shutdown()
        retryClient.shutdown()
        XCTAssertLessThan(Date().timeIntervalSince(started), 1.0, "shutdown does not wait for the transfers")
        let results = try XCTUnwrap(collector.wait(for: 21, timeout: 1))
        XCTAssertEqual(results.count, 21)
        XCTAssertTrue(results.allSatisfy { $0 == .failure(.cancelled) }, "\(results)")

        client.submit(request, completion: collector.record)
        client.shutdown()
        Thread.sleep(forTimeInterval: 0.3)
        let after = collector.snapshot()
        XCTAssertEqual(after.count, 22, "each submit completes exactly once")
        XCTAssertEqual(after.last, .failure(.cancelled))
    }

    func testACompletionMaySubmitAgainOrShutTheClientDown() throws {
        let client = try makeClient("ok")
        let collector = CompletionCollector()
        let request = self.request
        let record = collector.record
        client.submit(request) { first in
            record(first)
            client.submit(request) { second in
                record(second)
                client.shutdown()  // on the client's own thread: must not wait for itself
            }
        }
        let results = try XCTUnwrap(collector.wait(for: 2, timeout: 10))
        XCTAssertEqual(results.filter { (try? $0.get()) != nil }.count, 2)
        client.shutdown()
        let late = CompletionCollector()
        client.submit(request, completion: late.record)
        XCTAssertEqual(late.snapshot(), [.failure(.cancelled)], "after shutdown, completes at once")
    }

    func testRejectsInvalidConfigurations() {
        XCTAssertThrowsError(try OpenAIClient(configuration: LLMClientConfiguration(baseURL: "ftp://example.com")))
        XCTAssertThrowsError(try OpenAIClient(configuration: LLMClientConfiguration(apiKey: "sk\r\nX-Injected: 1")))
        XCTAssertThrowsError(try OpenAIClient(configuration: LLMClientConfiguration(maxAttempts: 0)))
        XCTAssertEqual(LLMClientConfiguration(baseURL: "http://h/v1/").chatCompletionsURL, "http://h/v1/chat/completions")
        let secret = LLMClientConfiguration(apiKey: "sk-very-secret")
        XCTAssertFalse("\(secret)".contains("sk-very-secret"))
        var dumped = ""
        dump(secret, to: &dumped)
        XCTAssertFalse(dumped.contains("sk-very-secret"))
    }

    func testDecodesResponsesStrictly() {
        let good = Array(#"{"model":"m","choices":[{"message":{"role":"assistant","content":"{\"has_hint\":false}"}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#.utf8)
        XCTAssertEqual(
            ChatCompletionResponse.decode(good, requestedModel: "x"),
            .success(ChatCompletionResponse(content: #"{"has_hint":false}"#, promptTokens: 3, completionTokens: 4, model: "m", latencyMilliseconds: 0, attempts: 0))
        )
        let nullContent = Array(#"{"choices":[{"message":{"content":null}}],"usage":{"prompt_tokens":3,"completion_tokens":4}}"#.utf8)
        guard case .failure(.invalidResponse(_, 3, 4)) = ChatCompletionResponse.decode(nullContent, requestedModel: "x") else {
            return XCTFail("null content must be invalid")
        }
        let noModel = Array(#"{"choices":[{"message":{"content":"hi"}}]}"#.utf8)
        XCTAssertEqual(try ChatCompletionResponse.decode(noModel, requestedModel: "asked").get().model, "asked")
    }
}

/// Collects completions from the client's thread and lets the test wait for a number of them.
private final class CompletionCollector: @unchecked Sendable {
    private let condition = NSCondition()
    private var results: [Result<ChatCompletionResponse, LLMError>] = []

    var record: @Sendable (Result<ChatCompletionResponse, LLMError>) -> Void {
        { [self] result in
            condition.lock()
            results.append(result)
            condition.broadcast()
            condition.unlock()
        }
    }

    func wait(for count: Int, timeout: TimeInterval) -> [Result<ChatCompletionResponse, LLMError>]? {
        let deadline = Date().addingTimeInterval(timeout)
        condition.lock()
        defer { condition.unlock() }
        while results.count < count {
            if !condition.wait(until: deadline) { return results.count >= count ? results : nil }
        }
        return results
    }

    func snapshot() -> [Result<ChatCompletionResponse, LLMError>] {
        condition.lock()
        defer { condition.unlock() }
        return results
    }
}

/// A throwaway OpenAI-compatible server in Python's standard library. Path scenarios:
/// `/ok/…` echoes the request, `/retryafter/…` answers 429 with `Retry-After: 1` once then succeeds,
/// `/status/N/…` always answers N, `/hang/…` never answers, `/sleep/MS/…` answers after MS ms,
/// `/big/…` and `/bigstream/…` send 2.5 MiB (with and without Content-Length), `/notjson/…` and
/// `/nochoices/…` send unusable 200s.
private enum ScriptedLLMServer {
    static func start() throws -> PythonTestServer {
        try PythonTestServer.start(script: script)
    }

    static func unusedPort() throws -> Int {
        try PythonTestServer.unusedPort()
    }

    private static let script = #"""
import json, sys, threading, time
from http.server import ThreadingHTTPServer, BaseHTTPRequestHandler

hits = {}
lock = threading.Lock()

def completion(content):
    return json.dumps({
        "id": "chatcmpl-1", "object": "chat.completion", "model": "fake-model",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
    }).encode()

class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True

    def log_message(self, *args):
        pass

    def reply(self, status, body, headers=()):
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers:
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        parts = self.path.split("/")
        scenario = parts[1] if len(parts) > 1 else ""
        argument = parts[2] if len(parts) > 2 else ""
        with lock:
            hits[scenario] = hits.get(scenario, 0) + 1
            count = hits[scenario]
        echo = json.dumps({
            "path": self.path,
            "authorization": self.headers.get("Authorization"),
            "contentType": self.headers.get("Content-Type"),
            "hits": count,
            "request": json.loads(raw),
        })
        if scenario == "ok":
            self.reply(200, completion(echo))
        elif scenario == "retryafter":
            if count == 1:
                self.reply(429, b'{"error":{"message":"rate limited"}}', [("Retry-After", "1")])
            else:
                self.reply(200, completion(echo))
        elif scenario == "status":
            self.reply(int(argument), b'{"error":{"message":"scripted failure"}}')
        elif scenario == "hang":
            time.sleep(60)
        elif scenario == "sleep":
            time.sleep(int(argument) / 1000)
            self.reply(200, completion(echo))
        elif scenario == "big":
            self.reply(200, b'{"pad":"' + b"a" * (5 << 19) + b'"}')
        elif scenario == "bigstream":
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Connection", "close")
            self.end_headers()
            self.close_connection = True
            try:
                for _ in range(40):
                    self.wfile.write(b"a" * 65536)
            except Exception:
                pass
        elif scenario == "notjson":
            self.reply(200, b"hello, this is not JSON")
        elif scenario == "nochoices":
            self.reply(200, json.dumps({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}).encode())
        else:
            self.reply(404, b"{}")

class Server(ThreadingHTTPServer):
    request_queue_size = 1024
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass

server = Server(("127.0.0.1", 0), Handler)
print(server.server_address[1], flush=True)
server.serve_forever()
"""#
}
