import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct ReadGenerationsTests {
    /// The permissions counter after `change` ran, minus before.
    private func bumps(_ store: NodeStore, _ change: (Connection) throws -> Void) throws -> Int64 {
        try store.database.write { db in
            let before = try ReadGenerations(db).stamp([ReadGenerations.permissions]).values[0]
            try change(db)
            return try ReadGenerations(db).stamp([ReadGenerations.permissions]).values[0] - before
        }
    }

    private func insert(_ db: Connection, id: String, type: String) throws {
        try db.run(
            """
            INSERT INTO remote_actors (id, domain, type, preferred_username, inbox, document, fetched_at, expires_at)
            VALUES (?, 'other.test', ?, 'x', ?, '{}', 0, 0)
            """, id, type, id + "/inbox")
    }

    @Test func onlyRemoteCommunitiesChangeWhoMayReadWhat() throws {
        let base = try TestStore()
        let store = base.store
        let person = "https://other.test/users/ana"
        let group = "https://other.test/communities/works"
        // A remote person's profile is in no cached answer: refreshing it keeps every answer.
        #expect(try bumps(store) { try insert($0, id: person, type: "Person") } == 0)
        #expect(try bumps(store) { try $0.run("UPDATE remote_actors SET name = 'Ana', fetched_at = 1 WHERE id = ?", person) } == 0)
        #expect(try bumps(store) { try $0.run("DELETE FROM remote_actors WHERE id = ?", person) } == 0)
        // A remote community's document says who may read it.
        #expect(try bumps(store) { try insert($0, id: group, type: "Group") } > 0)
        #expect(try bumps(store) {
            try $0.run("UPDATE remote_actors SET document = '{\"visibility\":\"members\"}' WHERE id = ?", group)
        } > 0)
        #expect(try bumps(store) { try $0.run("UPDATE remote_actors SET type = 'Person' WHERE id = ?", group) } > 0)
        #expect(try bumps(store) { try $0.run("UPDATE remote_actors SET type = 'Group' WHERE id = ?", group) } > 0)
        #expect(try bumps(store) { try $0.run("DELETE FROM remote_actors WHERE id = ?", group) } > 0)
        // Other permission tables still count in full.
        #expect(try bumps(store) {
            try $0.run("INSERT INTO trust_entries (domain, level, updated_at) VALUES ('other.test', 'trusted', 0)")
        } > 0)
    }
}
