/// One rejected value of a request that is checked as a whole (the settings form): which field, in
/// dotted form (`realtime_coaching.temperature`), and what is wrong with it. Checking every field
/// before answering lets the admin page mark all mistakes at once instead of one per save.
public struct FieldProblem: Sendable, Equatable {
    public let field: String
    public let message: String

    public init(field: String, message: String) {
        self.field = field
        self.message = message
    }
}
