/// The client could not be created: an invalid configuration or libcurl refusing to start.
public struct LLMClientSetupError: Error, Sendable, Equatable, CustomStringConvertible {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
