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

    /// `curl_global_init`, run once per process before the first handle is made.
    static let globalInitialization: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}
