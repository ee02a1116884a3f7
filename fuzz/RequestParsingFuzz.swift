// libFuzzer entry point for request parsing; fuzz/build.sh compiles it together with the parsing
// sources of the service (see RequestParsingExercise).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzRequestParsing(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    let bytes = data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? []
    RequestParsingExercise.run(bytes)
    return 0
}
