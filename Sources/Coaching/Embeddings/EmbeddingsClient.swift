import CCurl
import JSON

/// A blocking client for an OpenAI-compatible `POST /embeddings`, owned by one thread.
///
/// Embedding a chat message takes milliseconds, so the calling worker thread waits for it (bounded
/// by `timeoutMilliseconds`) rather than handing it to the LLM client's multi loop: the answer is
/// needed before the job can go on, and a synchronous call keeps the job's path straight. The easy
/// handle is kept between calls, so its connection to the server is reused. Not thread-safe: each
/// thread that embeds owns its own client (as it owns its database connection).
public final class EmbeddingsClient {
    public let configuration: EmbeddingsConfiguration
    /// Answers above this size are refused (a 384-float answer for a few inputs is ~10 KB).
    public static let maxResponseBytes = 4 << 20

    private let endpoint: CurlEndpoint
    private var easy: UnsafeMutableRawPointer?
    private var received: [UInt8] = []
    private var overflowed = false
    private let errorBuffer: UnsafeMutablePointer<CChar>

    public init(configuration: EmbeddingsConfiguration) throws(EmbeddingsError) {
        guard configuration.isEnabled else { throw .notConfigured }
        let scheme = configuration.baseURL.lowercased()
        guard scheme.hasPrefix("http://") || scheme.hasPrefix("https://") else {
            throw .connection("base URL must start with http:// or https://")
        }
        guard !configuration.apiKey.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .connection("the API key contains control characters")
        }
        _ = CurlBridge.globalInitialization
        self.configuration = configuration
        do {
            endpoint = try CurlEndpoint(url: configuration.endpointURL, apiKey: configuration.apiKey)
        } catch {
            throw .connection(error.message)
        }
        errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
    }

    deinit {
        if let easy { curl_easy_cleanup(easy) }
        errorBuffer.deallocate()
    }

    /// One embedding per text, in order. Throws on timeout, transport failure, a non-2xx answer or
    /// an answer that does not hold one vector per text.
    public func embed(_ texts: [String]) throws(EmbeddingsError) -> EmbeddingsResponse {
        guard !texts.isEmpty else { return EmbeddingsResponse(embeddings: [], model: configuration.model, promptTokens: 0) }
        let body = JSONWriter.bytes(.object([
            ("model", .string(configuration.model)),
            ("input", .array(texts.map(JSONValue.string))),
            ("encoding_format", .string("float")),
        ]))
        let status = try post(body)
        guard (200..<300).contains(status) else { throw .http(status: status) }
        return try EmbeddingsResponse.decode(received, inputs: texts.count, requestedModel: configuration.model)
    }

    private func post(_ body: [UInt8]) throws(EmbeddingsError) -> Int {
        if easy == nil { easy = curl_easy_init() }
        guard let easy else { throw .connection("libcurl could not create a transfer") }
        received.removeAll(keepingCapacity: true)
        overflowed = false
        errorBuffer[0] = 0
        let context = Unmanaged.passUnretained(self).toOpaque()
        let write: CurlBridge.WriteCallback = { data, size, count, context in
            guard let context else { return 0 }
            return Unmanaged<EmbeddingsClient>.fromOpaque(context).takeUnretainedValue().receive(data, length: size * count)
        }
        let timeout = max(1, configuration.timeoutMilliseconds)
        return try body.withUnsafeBytes { bytes -> Result<Int, EmbeddingsError> in
            if let failed = CurlBridge.setPostOptions(
                easy, endpoint: endpoint, body: bytes.baseAddress, count: bytes.count, connectTimeoutMilliseconds: timeout,
                timeoutMilliseconds: timeout, write: write, context: context, errorBuffer: errorBuffer) {
                return .failure(.connection("libcurl rejected an option: \(String(cString: curl_easy_strerror(failed)))"))
            }
            let code = curl_easy_perform(easy)
            // The body's memory is only valid inside this closure: never leave libcurl pointing at it.
            CurlBridge.set(easy, CURLOPT_POSTFIELDS, pointer: nil)
            if overflowed { return .failure(.invalidResponse("answer larger than \(Self.maxResponseBytes) bytes")) }
            guard code == CURLE_OK else {
                if code == CURLE_OPERATION_TIMEDOUT { return .failure(.timeout) }
                let detail = String(cString: errorBuffer)
                return .failure(.connection(detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail))
            }
            return .success(CurlBridge.integerInfo(easy, CURLINFO_RESPONSE_CODE) ?? 0)
        }.get()
    }

    private func receive(_ data: UnsafeMutablePointer<CChar>?, length: Int) -> Int {
        guard received.count + length <= Self.maxResponseBytes else {
            overflowed = true
            return 0
        }
        if let data { received.append(contentsOf: UnsafeRawBufferPointer(start: data, count: length)) }
        return length
    }
}
