/// Where and how to reach MariaDB. One value, validated once, handed to every connection so that
/// request threads and workers agree on time zone and timeouts.
public struct MariaDBConfiguration: Sendable, Equatable {
    public var host: String
    public var port: UInt32
    public var user: String
    public var password: String
    public var database: String
    /// A unix socket path; when set it is used instead of host/port.
    public var socket: String?
    /// Session time zone as a fixed offset (`-03:00`) or a named zone; JSON timestamps are in it.
    public var timeZone: String
    public var connectTimeoutSeconds: UInt32
    public var readTimeoutSeconds: UInt32
    public var writeTimeoutSeconds: UInt32

    public init(
        host: String = "127.0.0.1",
        port: UInt32 = 3306,
        user: String,
        password: String,
        database: String,
        socket: String? = nil,
        timeZone: String = "-03:00",
        connectTimeoutSeconds: UInt32 = 3,
        readTimeoutSeconds: UInt32 = 30,
        writeTimeoutSeconds: UInt32 = 30
    ) {
        self.host = host
        self.port = port
        self.user = user
        self.password = password
        self.database = database
        self.socket = socket
        self.timeZone = timeZone
        self.connectTimeoutSeconds = connectTimeoutSeconds
        self.readTimeoutSeconds = readTimeoutSeconds
        self.writeTimeoutSeconds = writeTimeoutSeconds
    }

    /// A time zone is interpolated into the session's init command, so only the two safe shapes pass.
    public static func isValidTimeZone(_ zone: String) -> Bool {
        let bytes = Array(zone.utf8)
        if bytes.count == 6, bytes[0] == UInt8(ascii: "+") || bytes[0] == UInt8(ascii: "-"), bytes[3] == UInt8(ascii: ":") {
            return [1, 2, 4, 5].allSatisfy { bytes[$0] >= 48 && bytes[$0] <= 57 }
        }
        guard !bytes.isEmpty, bytes.count <= 64 else { return false }
        return bytes.allSatisfy { b in
            (b >= 65 && b <= 90) || (b >= 97 && b <= 122) || (b >= 48 && b <= 57)
                || b == UInt8(ascii: "/") || b == UInt8(ascii: "_") || b == UInt8(ascii: "-") || b == UInt8(ascii: "+")
        }
    }
}
