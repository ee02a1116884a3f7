import ArgumentParser
import Coaching
import Foundation

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint an HS256 access token with the service's secret (for demos, tests and the chat app)."
    )

    @Option(help: "User id (the `sub` claim); optional for the service role.")
    var user: Int?

    @Option(help: "Role: agent, supervisor, admin or service.")
    var role: String = "agent"

    @Option(help: "Lifetime in seconds.")
    var ttl: Int = 86_400

    func validate() throws {
        guard let role = Principal.Role(rawValue: role) else {
            throw ValidationError("role must be one of: \(Principal.Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        if role != .service, user == nil { throw ValidationError("--user is required for role \(role.rawValue)") }
        if let user, user <= 0 || user > Int(Int32.max) { throw ValidationError("--user must be a positive integer") }
        guard ttl > 0, ttl <= 366 * 86_400 else { throw ValidationError("--ttl must be between 1 and 31622400 seconds") }
    }

    func run() throws {
        let configuration = try AppConfiguration.load()
        try configuration.requireSecret()
        let principal = Principal(userID: user, role: Principal.Role(rawValue: role)!)
        print(AccessToken.sign(principal: principal, expiresAt: Date().addingTimeInterval(TimeInterval(ttl)),
                               secret: configuration.jwtSecret))
    }
}
