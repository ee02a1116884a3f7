import CCurl
import Foundation
import Logging
import JSON

/// Publishes saved hints to the agent's nchan channel (`agent-<id>`) through nginx's publisher,
/// which listens on a unix socket only. One short blocking POST per hint (a local socket: well under
/// a millisecond), made from `BackgroundPublisher`'s thread in the service; a failure is logged and
/// otherwise ignored, because the hints table stays the source of truth and polling returns the
/// same hint.
public struct NchanPublisher: HintPublisher {
    private let socketPath: String
    private let logger: Logger

    public init(socketPath: String, logger: Logger = Logger(label: "coaching.push")) {
        self.socketPath = socketPath
        self.logger = logger
        _ = CurlBridge.globalInitialization
    }

    public func publish(_ hint: Hint, language: String) {
        let event = JSONValue.object([
            ("event", .string("coaching_hint")),
            ("data", .object([
                ("id", .int(hint.id)),
                ("conversation_id", .int(hint.conversationID)),
                ("message_id", .optional(hint.messageID)),
                ("hint_type", .string(hint.hintType)),
                ("hint_text", .string(hint.hintText)),
                ("suggestions", .array(hint.suggestions.map(JSONValue.string))),
                ("created_at", .string(hint.createdAt)),
                ("label", .string(HintType.label(for: hint.hintType, language: language))),
            ])),
        ])
        let status = post(path: "/publish/agent-\(hint.agentID)", body: JSONWriter.bytes(event))
        PipelineMetrics.pushPublish(delivered: (200..<300).contains(status))
        if !(200..<300).contains(status) {
            logger.warning("push publish failed; polling will deliver the hint",
                           metadata: ["hint_id": "\(hint.id)", "status": "\(status)"])
        }
    }

    /// How many subscribers nginx's nchan holds right now, on every channel (its `nchan_stub_status`
    /// page on the publisher socket); nil when the page cannot be read.
    public func subscriberCount() -> Int? {
        guard let easy = request(path: "/nchan-status") else { return nil }
        defer { curl_easy_cleanup(easy) }
        let page = ResponseBuffer()
        CurlBridge.set(easy, CURLOPT_WRITEFUNCTION, pointer: unsafeBitCast(appendBody, to: UnsafeRawPointer.self))
        let unmanaged = Unmanaged.passRetained(page)
        defer { unmanaged.release() }
        CurlBridge.set(easy, CURLOPT_WRITEDATA, pointer: UnsafeRawPointer(unmanaged.toOpaque()))
        guard curl_easy_perform(easy) == CURLE_OK, CurlBridge.integerInfo(easy, CURLINFO_RESPONSE_CODE) == 200 else { return nil }
        return Self.subscribers(inStatusPage: String(decoding: page.bytes, as: UTF8.self))
    }

    /// The `subscribers: N` line of an `nchan_stub_status` page.
    static func subscribers(inStatusPage page: String) -> Int? {
        for line in page.split(separator: "\n") where line.hasPrefix("subscribers:") {
            return Int(line.dropFirst("subscribers:".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }

    /// A request to nginx's publisher socket with a 1 s limit; the caller cleans it up.
    private func request(path: String) -> UnsafeMutableRawPointer? {
        guard let easy = curl_easy_init() else { return nil }
        CurlBridge.set(easy, CURLOPT_UNIX_SOCKET_PATH, string: socketPath)
        CurlBridge.set(easy, CURLOPT_URL, string: "http://localhost\(path)")
        CurlBridge.set(easy, CURLOPT_NOSIGNAL, 1)
        CurlBridge.set(easy, CURLOPT_TIMEOUT_MS, 1000)
        return easy
    }

    /// Returns the HTTP status, or 0 when the request could not be made.
    private func post(path: String, body: [UInt8]) -> Int {
        guard let easy = request(path: path) else { return 0 }
        defer { curl_easy_cleanup(easy) }
        var headers: UnsafeMutablePointer<curl_slist>? = curl_slist_append(nil, "Content-Type: application/json")
        headers = curl_slist_append(headers, "Accept: text/json")
        defer { curl_slist_free_all(headers) }
        CurlBridge.set(easy, CURLOPT_HTTPHEADER, pointer: UnsafeRawPointer(headers))
        CurlBridge.set(easy, CURLOPT_WRITEFUNCTION, pointer: unsafeBitCast(discardBody, to: UnsafeRawPointer.self))
        return body.withUnsafeBufferPointer { buffer -> Int in
            CurlBridge.set(easy, CURLOPT_POSTFIELDSIZE_LARGE, buffer.count)
            CurlBridge.set(easy, CURLOPT_POSTFIELDS, pointer: UnsafeRawPointer(buffer.baseAddress))
            guard curl_easy_perform(easy) == CURLE_OK else { return 0 }
            return CurlBridge.integerInfo(easy, CURLINFO_RESPONSE_CODE) ?? 0
        }
    }
}

private final class ResponseBuffer {
    var bytes: [UInt8] = []
}

private let appendBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { data, size, count, context in
    guard let data, let context else { return 0 }
    let buffer = Unmanaged<ResponseBuffer>.fromOpaque(context).takeUnretainedValue()
    guard buffer.bytes.count < 65_536 else { return 0 }
    UnsafeRawBufferPointer(start: data, count: size * count).withMemoryRebound(to: UInt8.self) { buffer.bytes.append(contentsOf: $0) }
    return size * count
}

private let discardBody: @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int = { _, size, count, _ in
    size * count
}
