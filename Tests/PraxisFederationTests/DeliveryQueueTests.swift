import Foundation
import PraxisFederation
import PraxisSQLite
import Testing

/// The queue's bookkeeping, without a running service.
struct DeliveryQueueTests {
    @Test func enqueueDeduplicatesInboxesAndSplitsLanesByAuthority() throws {
        let fixture = try DeliveryFixture()
        let count = try fixture.enqueue(
            "a1",
            to: [
                "https://one.example/inbox", "https://one.example/inbox", "https://ONE.example:443/users/x/inbox",
                "http://127.0.0.1:8002/inbox", "not a url",
            ])
        #expect(count == 3)
        #expect(try fixture.enqueue("a1", to: ["https://one.example/inbox"]) == 0, "already pending there")
        let lanes = try fixture.database.read { db in
            try db.query("SELECT DISTINCT lane FROM deliveries WHERE state = 'queued' ORDER BY lane").map {
                try $0.get("lane", as: String.self)
            }
        }
        #expect(lanes == ["127.0.0.1:8002", "one.example"])
        let failures = try fixture.failures()
        #expect(failures.count == 1 && failures.first?.inbox == "not a url" && failures.first?.lane == DeliveryQueue.invalidLane)
        #expect(try fixture.database.read { try $0.scalar(Int.self, "SELECT count(*) FROM delivery_activities") } == 1)
    }

    @Test func laterActivitiesForTheSameKeyWait() throws {
        let fixture = try DeliveryFixture()
        try fixture.enqueue("create", key: "note-1", to: ["https://one.example/inbox", "https://two.example/inbox"])
        try fixture.enqueue("update", key: "note-1", to: ["https://one.example/inbox"])
        try fixture.enqueue("other", key: "note-2", to: ["https://one.example/inbox"])
        #expect(try fixture.states() == ["queued", "queued", "waiting", "queued"])
        let stats = try fixture.stats()
        #expect(stats.pending == 4 && stats.lane("one.example")?.pending == 3)
        #expect(stats.lane("one.example")?.oldestPendingAge != nil)
    }

    @Test func refusesActivitiesWithoutIdSignerOrBody() throws {
        let fixture = try DeliveryFixture()
        for activity in [
            OutgoingActivity(activityID: "", orderingKey: "k", body: [1], signer: "alice"),
            OutgoingActivity(activityID: "a", orderingKey: "k", body: [], signer: "alice"),
            OutgoingActivity(activityID: "a", orderingKey: "k", body: [1], signer: ""),
        ] {
            #expect(throws: DeliveryError.self) {
                try fixture.database.write { try DeliveryQueue.enqueue(activity, to: ["https://x.example/inbox"], db: $0) }
            }
        }
    }

    @Test func enqueueRollsBackWithTheCallersTransaction() throws {
        let fixture = try DeliveryFixture()
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try fixture.database.write { db in
                let activity = OutgoingActivity(activityID: "a2", orderingKey: "k", body: [1], signer: "alice")
                try DeliveryQueue.enqueue(activity, to: ["https://x.example/inbox"], db: db)
                throw Abort()
            }
        }
        #expect(try fixture.states().isEmpty)
    }

    @Test func prunesOldFailures() throws {
        let fixture = try DeliveryFixture()
        try fixture.enqueue("a1", to: ["bad url"])
        #expect(try fixture.failures().count == 1)
        let pruned = try fixture.database.write {
            try DeliveryQueue.pruneFailures(before: Date().addingTimeInterval(1), db: $0)
        }
        #expect(pruned == 1)
        #expect(try fixture.database.read { try $0.scalar(Int.self, "SELECT count(*) FROM delivery_activities") } == 0)
    }
}
