import CMariaDB

/// Owns the C memory for one execution's parameters; released right after `mysql_stmt_execute`.
final class ParameterBinder {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    private let count: Int
    private var buffers: [UnsafeMutableRawPointer] = []
    private let lengths: UnsafeMutablePointer<UInt>
    private let nulls: UnsafeMutablePointer<my_bool>

    init(_ parameters: [SQLValue]) {
        count = max(parameters.count, 1)
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        nulls = .allocate(capacity: count)
        nulls.initialize(repeating: 0, count: count)
        for (index, value) in parameters.enumerated() {
            switch value {
            case .null:
                binds[index].buffer_type = MYSQL_TYPE_NULL
                nulls[index] = 1
                binds[index].is_null = nulls + index
            case .int(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Int64.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_LONGLONG
                binds[index].buffer = buffer
            case .double(let number):
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: 8, alignment: 8)
                buffer.storeBytes(of: number, as: Double.self)
                buffers.append(buffer)
                binds[index].buffer_type = MYSQL_TYPE_DOUBLE
                binds[index].buffer = buffer
            case .text(let text):
                let utf8 = Array(text.utf8)
                let buffer = UnsafeMutableRawPointer.allocate(byteCount: max(utf8.count, 1), alignment: 1)
                utf8.withUnsafeBytes { buffer.copyMemory(from: $0.baseAddress ?? UnsafeRawPointer(buffer), byteCount: utf8.count) }
                buffers.append(buffer)
                lengths[index] = UInt(utf8.count)
                binds[index].buffer_type = MYSQL_TYPE_STRING
                binds[index].buffer = buffer
                binds[index].buffer_length = UInt(utf8.count)
                binds[index].length = lengths + index
            }
        }
    }

    func release() {
        for buffer in buffers { buffer.deallocate() }
        binds.deallocate()
        lengths.deallocate()
        nulls.deallocate()
    }
}

/// Owns the C memory a result row is fetched into; every column is fetched as text.
final class ResultReader {
    let binds: UnsafeMutablePointer<MYSQL_BIND>
    let lengths: UnsafeMutablePointer<UInt>
    let isNull: UnsafeMutablePointer<my_bool>
    private let errors: UnsafeMutablePointer<my_bool>
    private let buffers: [UnsafeMutableRawPointer]
    private let count: Int

    init(capacities: [Int]) {
        count = max(capacities.count, 1)
        binds = .allocate(capacity: count)
        binds.initialize(repeating: MYSQL_BIND(), count: count)
        lengths = .allocate(capacity: count)
        lengths.initialize(repeating: 0, count: count)
        isNull = .allocate(capacity: count)
        isNull.initialize(repeating: 0, count: count)
        errors = .allocate(capacity: count)
        errors.initialize(repeating: 0, count: count)
        var buffers: [UnsafeMutableRawPointer] = []
        for (index, capacity) in capacities.enumerated() {
            let buffer = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 8)
            buffers.append(buffer)
            binds[index].buffer_type = MYSQL_TYPE_STRING
            binds[index].buffer = buffer
            binds[index].buffer_length = UInt(capacity)
            binds[index].length = lengths + index
            binds[index].is_null = isNull + index
            binds[index].error = errors + index
        }
        self.buffers = buffers
    }

    func string(column: Int, length: Int) -> String {
        String(decoding: UnsafeRawBufferPointer(start: buffers[column], count: length), as: UTF8.self)
    }

    func release() {
        for buffer in buffers { buffer.deallocate() }
        binds.deallocate()
        lengths.deallocate()
        isNull.deallocate()
        errors.deallocate()
    }
}
