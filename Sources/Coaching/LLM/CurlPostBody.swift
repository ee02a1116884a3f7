/// A request body at a fixed address. libcurl sends `CURLOPT_POSTFIELDS` straight from the caller's
/// memory, so the bytes stay put until every attempt that sends them has ended (each holds the body).
/// Immutable after init.
final class CurlPostBody: @unchecked Sendable {
    private let storage: UnsafeMutableRawBufferPointer
    let count: Int

    init(_ source: [UInt8]) {
        let storage = UnsafeMutableRawBufferPointer.allocate(byteCount: max(1, source.count), alignment: 1)
        source.withUnsafeBytes { storage.copyMemory(from: $0) }
        self.storage = storage
        count = source.count
    }

    var baseAddress: UnsafeRawPointer? { UnsafeRawPointer(storage.baseAddress) }

    deinit {
        storage.deallocate()
    }
}
