import XCTest
@testable import FCGIApp

final class AppConfigurationReplicaTests: XCTestCase {
    func testNoReplicaUnlessAHostOrSocketIsGiven() throws {
        let configuration = try AppConfiguration(values: ["COACHING_DB_REPLICA_PORT": "3308"])
        XCTAssertNil(configuration.replica)
    }

    func testTheReplicaInheritsThePrimaryAccountUnlessOneIsGiven() throws {
        let configuration = try AppConfiguration(values: [
            "COACHING_DB_HOST": "db-primary", "COACHING_DB_USER": "app", "COACHING_DB_PASSWORD": "secret",
            "COACHING_DB_NAME": "chat", "COACHING_DB_REPLICA_HOST": "db-replica", "COACHING_DB_REPLICA_PORT": "3308",
        ])
        let replica = try XCTUnwrap(configuration.replica)
        XCTAssertEqual(replica.host, "db-replica")
        XCTAssertEqual(replica.port, 3308)
        XCTAssertEqual(replica.user, "app")
        XCTAssertEqual(replica.password, "secret")
        XCTAssertEqual(replica.database, "chat")
        XCTAssertEqual(configuration.database.host, "db-primary")
        XCTAssertEqual(configuration.replicaMaxLagSeconds, 10)
    }

    func testAReplicaAccountAndLagBoundCanBeSet() throws {
        let configuration = try AppConfiguration(values: [
            "COACHING_DB_REPLICA_SOCKET": "/run/replica.sock", "COACHING_DB_REPLICA_USER": "reader",
            "COACHING_DB_REPLICA_PASSWORD": "ro", "COACHING_DB_REPLICA_MAX_LAG_SECONDS": "3",
        ])
        let replica = try XCTUnwrap(configuration.replica)
        XCTAssertEqual(replica.socket, "/run/replica.sock")
        XCTAssertEqual(replica.user, "reader")
        XCTAssertEqual(replica.password, "ro")
        XCTAssertEqual(configuration.replicaMaxLagSeconds, 3)
    }

    func testAnInvalidLagBoundIsRefused() {
        XCTAssertThrowsError(try AppConfiguration(values: ["COACHING_DB_REPLICA_HOST": "r",
                                                           "COACHING_DB_REPLICA_MAX_LAG_SECONDS": "0"]))
    }

    func testTheReplicaConnectionsCountInTheDescriptorBudget() throws {
        let without = try AppConfiguration(values: ["COACHING_THREADS": "4"])
        let with = try AppConfiguration(values: ["COACHING_THREADS": "4", "COACHING_DB_REPLICA_HOST": "r"])
        XCTAssertEqual(DescriptorBudget(with, serving: true).total - DescriptorBudget(without, serving: true).total, 4)
    }
}
