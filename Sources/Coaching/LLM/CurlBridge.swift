import CCurl

/// Typed access to libcurl's variadic option and information functions, through the fixed-signature
/// wrappers in the `CCurl` shim (Swift cannot call C variadic functions directly).
enum CurlBridge {
    /// For options of type `long` and `curl_off_t` (both 64-bit on the supported platforms).
    @discardableResult
    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, _ value: Int) -> CURLcode {
        coaching_curl_easy_setopt_long(easy, option, value)
    }

    /// For pointer options (objects, callbacks, buffers). libcurl keeps the pointer: it must outlive the transfer.
    @discardableResult
    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, pointer: UnsafeRawPointer?) -> CURLcode {
        coaching_curl_easy_setopt_pointer(easy, option, pointer)
    }

    /// For string options; libcurl copies the string.
    @discardableResult
    static func set(_ easy: UnsafeMutableRawPointer, _ option: CURLoption, string: String) -> CURLcode {
        string.withCString { coaching_curl_easy_setopt_pointer(easy, option, UnsafeRawPointer($0)) }
    }

    /// For `long` and `curl_off_t` information; nil when libcurl has none.
    static func integerInfo(_ easy: UnsafeMutableRawPointer, _ info: CURLINFO) -> Int? {
        if info.rawValue & UInt32(CURLINFO_TYPEMASK) == UInt32(CURLINFO_OFF_T) {
            var value: curl_off_t = 0
            return coaching_curl_easy_getinfo_off(easy, info, &value) == CURLE_OK ? Int(value) : nil
        }
        var value = 0
        return coaching_curl_easy_getinfo_long(easy, info, &value) == CURLE_OK ? value : nil
    }

    @discardableResult
    static func set(_ multi: UnsafeMutableRawPointer, _ option: CURLMoption, _ value: Int) -> CURLMcode {
        coaching_curl_multi_setopt_long(multi, option, value)
    }

    /// libcurl's write callback: the received bytes, and the `WRITEDATA` context.
    typealias WriteCallback = @convention(c) (UnsafeMutablePointer<CChar>?, Int, Int, UnsafeMutableRawPointer?) -> Int

    /// The options of every JSON POST this service makes (LLM and embeddings): `endpoint`'s URL and
    /// headers, the body (kept by the caller until the transfer ends), both timeouts, the callback
    /// that collects the answer, an error buffer, keep-alive and the user agent. Returns the first
    /// option libcurl refused, or nil.
    static func setPostOptions(_ easy: UnsafeMutableRawPointer, endpoint: CurlEndpoint, body: UnsafeRawPointer?, count: Int,
                               connectTimeoutMilliseconds: Int, timeoutMilliseconds: Int, write: WriteCallback,
                               context: UnsafeMutableRawPointer, errorBuffer: UnsafeMutablePointer<CChar>) -> CURLcode? {
        let codes: [CURLcode] = [
            set(easy, CURLOPT_URL, string: endpoint.url),
            set(easy, CURLOPT_PROTOCOLS_STR, string: "http,https"),
            set(easy, CURLOPT_NOSIGNAL, 1),
            set(easy, CURLOPT_HTTPHEADER, pointer: UnsafeRawPointer(endpoint.headers)),
            set(easy, CURLOPT_POSTFIELDSIZE_LARGE, count),
            set(easy, CURLOPT_POSTFIELDS, pointer: body),
            set(easy, CURLOPT_CONNECTTIMEOUT_MS, connectTimeoutMilliseconds),
            set(easy, CURLOPT_TIMEOUT_MS, timeoutMilliseconds),
            set(easy, CURLOPT_WRITEFUNCTION, pointer: unsafeBitCast(write, to: UnsafeRawPointer.self)),
            set(easy, CURLOPT_WRITEDATA, pointer: UnsafeRawPointer(context)),
            set(easy, CURLOPT_ERRORBUFFER, pointer: UnsafeRawPointer(errorBuffer)),
            set(easy, CURLOPT_TCP_KEEPALIVE, 1),
            set(easy, CURLOPT_USERAGENT, string: "realtime-coaching"),
        ]
        return codes.first { $0 != CURLE_OK }
    }

    /// `curl_global_init`, run once per process before the first handle is made.
    static let globalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}
