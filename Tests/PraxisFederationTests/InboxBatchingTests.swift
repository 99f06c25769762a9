import Foundation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

@testable import PraxisFederation

/// Group commit of received activities and batched acknowledgement in the processor: each
/// activity keeps the outcome and the order it had when written alone.
struct InboxBatchingTests {
    static func entry(_ index: Int, signature: String? = nil, activity: String? = nil, type: String = "Like")
        -> InboxWriter.Entry
    {
        let id = activity ?? "https://b.example/activities/\(index)"
        let body = #"{"id":"\#(id)","type":"\#(type)","actor":"https://b.example/users/ana"}"#
        return InboxWriter.Entry(
            signatureHash: Array((signature ?? "signature \(index)").utf8), signatureExpires: Date().addingTimeInterval(7200),
            activityID: id, actorID: "https://b.example/users/ana", originDomain: "b.example", recipient: "/inbox",
            body: Array(body.utf8))
    }

    @Test func concurrentActivitiesAreEachStoredOnceAndReplaysAndDuplicatesRecognised() async throws {
        let node = try TestNode()
        let wakes = Mutex(0)
        let writer = InboxWriter(database: node.store.database, accepted: { wakes.withLock { $0 += 1 } })
        let outcomes = try await withThrowingTaskGroup(of: InboxWriter.Outcome.self) { group in
            for index in 0..<300 { group.addTask { try await writer.store(Self.entry(index)) } }
            return try await group.reduce(into: [InboxWriter.Outcome]()) { $0.append($1) }
        }
        #expect(outcomes.count == 300)
        #expect(outcomes.allSatisfy { if case .stored = $0 { true } else { false } })
        let stored = try await node.store.database.read { try InboxRepository($0).pendingCount() }
        #expect(stored == 300)
        // The processor is woken once per transaction that stored something, not per activity.
        let wakesAfterStoring = wakes.withLock { $0 }
        #expect((1...300).contains(wakesAfterStoring))

        // The same signed request again: a replay, nothing stored.
        let replay = try await writer.store(Self.entry(7))
        #expect({ if case .replay = replay { true } else { false } }())
        // The same activity newly signed: acknowledged as a duplicate, nothing stored.
        let duplicate = try await writer.store(Self.entry(7, signature: "a fresh signature"))
        #expect({ if case .duplicate = duplicate { true } else { false } }())
        #expect(try await node.store.database.read { try InboxRepository($0).pendingCount() } == 300)
        // The duplicate's signature was recorded: sending that request once more is a replay.
        let again = try await writer.store(Self.entry(7, signature: "a fresh signature"))
        #expect({ if case .replay = again { true } else { false } }())
        // Replays and duplicates store nothing, so they do not wake the processor.
        #expect(wakes.withLock { $0 } == wakesAfterStoring)
    }

    @Test func acknowledgedActivitiesAreDoneBeforeTheNextHandledOneRuns() async throws {
        let node = try TestNode()
        let writer = InboxWriter(database: node.store.database, accepted: {})
        // Likes (acknowledged), an unparseable body, a Follow (handled), more Likes.
        for index in 0..<3 { _ = try await writer.store(Self.entry(index)) }
        var broken = Self.entry(3)
        broken.body = Array("{not json".utf8)
        _ = try await writer.store(broken)
        _ = try await writer.store(Self.entry(4, type: "Follow"))
        for index in 5..<8 { _ = try await writer.store(Self.entry(index)) }

        let recorder = RecordingHandler(database: node.store.database)
        let processor = InboxProcessor(database: node.store.database, handlers: [recorder], log: { _ in })
        await processor.drain()

        // When the Follow was handled, everything before it had left the pending state.
        #expect(recorder.seen == [["https://b.example/activities/4": 0]])
        let states = try await node.store.database.read { db in
            try db.query("SELECT activity_id, state FROM inbox_activities ORDER BY seq").map {
                (try $0.get("activity_id", as: String.self), try $0.get("state", as: String.self))
            }
        }
        #expect(states.map(\.1) == ["done", "done", "done", "dead", "done", "done", "done", "done"])
        #expect(try await node.store.database.read { try InboxRepository($0).deadLetters() }.first?.reason.contains("unparseable") == true)
    }
}

/// Handles `Follow` by recording how many earlier activities were still pending at that moment.
final class RecordingHandler: ActivityHandler {
    let database: Database
    private let log = Mutex<[[String: Int]]>([])

    init(database: Database) { self.database = database }

    var activityTypes: Set<String> { ["Follow"] }
    var seen: [[String: Int]] { log.withLock { $0 } }

    func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        let seq = activity.seq
        let earlierPending = try await database.read { db in
            try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities WHERE state = 'pending' AND seq < ?", seq) ?? -1
        }
        log.withLock { $0.append([activity.id: earlierPending]) }
        try await commit { _ in }
    }
}
