/// One result row. Columns arrive as the server's text form (timestamps as `YYYY-MM-DD HH:MM:SS`
/// in the session zone, decimals exactly) and are converted on access.
public struct SQLRow: Sendable {
    public let values: [String?]

    public init(values: [String?]) { self.values = values }

    public subscript(_ index: Int) -> String? { values[index] }

    public func string(_ index: Int) -> String? { values[index] }

    public func int(_ index: Int) -> Int? { values[index].flatMap { Int($0) } }

    public func double(_ index: Int) -> Double? { values[index].flatMap { Double($0) } }

    public func bool(_ index: Int) -> Bool? {
        guard let value = values[index] else { return nil }
        return value != "0" && !value.isEmpty
    }
}

/// What a statement without a result set did.
public struct SQLExecution: Sendable {
    public let affectedRows: Int
    public let lastInsertID: Int
}
