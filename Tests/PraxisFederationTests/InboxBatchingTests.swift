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
            signatureHash: Array((signature ?? "signature \(index)").utf8), signatureCreated: created, activityID: id,
            type: type, actorID: "https://b.example/users/ana", originDomain: "b.example", recipient: "/inbox",
            body: Array(body.utf8), json: (try? JSON.parse(Array(body.utf8))) ?? .null)
    }

    /// One creation time for every test signature, so that the same hash is the same signature.
    static let created = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down))

    /// A writer for `node`, which trusts b.example (the sender of every test entry).
    /// - Parameter processor: decides which activities need processing; nil queues them all.
    static func writer(
        _ node: TestNode, cache: InboxTrustCache = InboxTrustCache(), processor: InboxProcessor? = nil,
        accepted: @escaping @Sendable () -> Void = {}
    ) throws -> InboxWriter {
        try node.store.database.write { db in try TrustRepository(db).set(TrustEntry(domain: "b.example", level: .trusted)) }
        let policy = TrustPolicy(mode: node.store.configuration.federation, localDomain: node.store.configuration.domain)
        return InboxWriter(
            database: node.store.database, processor: processor, policy: policy, trustCache: cache, accepted: accepted)
    }

    /// `activity_id` and `state` of every stored activity, in arrival order.
    static func states(_ node: TestNode) async throws -> [String] {
        try await node.store.database.read { db in
            try db.query("SELECT state FROM inbox_activities ORDER BY seq").map { try $0.get("state", as: String.self) }
        }
    }

    @Test func concurrentActivitiesAreEachStoredOnceAndReplaysAndDuplicatesRecognised() async throws {
        let node = try TestNode()
        let wakes = Mutex(0)
        let writer = try Self.writer(node, accepted: { wakes.withLock { $0 += 1 } })
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

    @Test func aFailingActivityIsUndoneAloneAndTheRestOfItsBatchIsStored() async throws {
        let node = try TestNode()
        // Batches are written without a savepoint per activity; one that fails makes its batch be
        // written again with savepoints. This trigger makes exactly one insert fail.
        let bad = "https://b.example/activities/refused"
        try await node.store.database.write { db in
            try db.execute(
                "CREATE TRIGGER refuse_one BEFORE INSERT ON inbox_activities WHEN NEW.activity_id = '\(bad)' "
                    + "BEGIN SELECT RAISE(ABORT, 'refused by the test'); END")
        }
        let writer = try Self.writer(node)
        let results = await withTaskGroup(of: (Int, Result<InboxWriter.Outcome, any Error>).self) { group in
            for index in 0..<200 {
                let entry = index == 100 ? Self.entry(index, activity: bad) : Self.entry(index)
                group.addTask {
                    do { return (index, .success(try await writer.store(entry))) } catch { return (index, .failure(error)) }
                }
            }
            return await group.reduce(into: [Int: Result<InboxWriter.Outcome, any Error>]()) { $0[$1.0] = $1.1 }
        }
        for (index, result) in results {
            switch result {
            case .success(let outcome): #expect(index != 100 && outcome.isStored)
            case .failure(let error): #expect(index == 100 && "\(error)".contains("refused by the test"))
            }
        }
        let (activities, keys) = try await node.store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities") ?? -1,
             try db.scalar(Int.self, "SELECT count(DISTINCT signature_hash) FROM inbox_activities") ?? -1)
        }
        // The failing activity left nothing, not even its replay key: sent again, it is stored.
        #expect(activities == 199 && keys == 199)
        try await node.store.database.write { db in try db.execute("DROP TRIGGER refuse_one") }
        #expect(try await writer.store(Self.entry(100, activity: bad)).isStored)
    }

    @Test func acknowledgedActivitiesAreDoneBeforeTheNextHandledOneRuns() async throws {
        let node = try TestNode()
        let writer = try Self.writer(node)
        // Likes (acknowledged), an unparseable body of a handled type, a Follow (handled), more Likes.
        for index in 0..<3 { _ = try await writer.store(Self.entry(index)) }
        var broken = Self.entry(3, type: "Follow")
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

/// Replay keys in the activity's row, the trust list read again at commit, and the stored type.
struct InboxWriterTests {
    @Test func aReplayIsTheStoredActivityUnderTheSameSignatureIncludingKeysFromBeforeVersion25() async throws {
        let node = try TestNode()
        let writer = try InboxBatchingTests.writer(node)
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isStored)
        // A new activity id is a new activity, whatever its key (a real signature covers the
        // body's digest, so the same signature cannot carry another activity).
        #expect(try await writer.store(InboxBatchingTests.entry(2, signature: "signature 1")).isStored)
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isReplay)
        // The key is kept in the row, not in seen_signatures.
        let recorded = try await node.store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM seen_signatures") ?? -1,
             try db.scalar([UInt8].self, "SELECT signature_hash FROM inbox_activities WHERE activity_id = ?",
                           "https://b.example/activities/1") ?? [])
        }
        #expect(recorded.0 == 0 && recorded.1 == Array("signature 1".utf8))

        // Activities stored by earlier versions have no key in their row: keys recorded then in
        // seen_signatures (versions 11 to 24) or seen_signatures_v2 (before 11) still refuse replays.
        let older = InboxBatchingTests.entry(3, signature: "recorded by version 24")
        let oldest = InboxBatchingTests.entry(4, signature: "recorded before version 11")
        try await node.store.database.write { db in
            let inbox = InboxRepository(db)
            for old in [older, oldest] {
                #expect(try inbox.insert(activityID: old.activityID, actorID: old.actorID, originDomain: old.originDomain,
                                         recipient: old.recipient, body: old.body, type: old.type))
            }
            #expect(try inbox.recordSignature(hash: older.signatureHash, created: older.signatureCreated))
            try db.run("INSERT INTO seen_signatures_v2 (signature_hash, expires_at) VALUES (?, ?)", oldest.signatureHash,
                       Int64(Date().timeIntervalSince1970) + 3600)
        }
        #expect(try await writer.store(older).isReplay)
        #expect(try await writer.store(oldest).isReplay)
        // Signed anew, they are duplicates.
        #expect(try await writer.store(InboxBatchingTests.entry(3, signature: "signed anew")).isDuplicate)
        #expect(try await writer.store(InboxBatchingTests.entry(5)).isStored)
    }

    @Test func keysOfSignaturesTooOldToPassTheClockCheckArePruned() async throws {
        let node = try TestNode()
        let old = Date().addingTimeInterval(-3 * 3600)
        try await node.store.database.write { db in
            _ = try InboxRepository(db).recordSignature(hash: Array("old".utf8), created: old)
            try db.run("INSERT INTO seen_signatures_v2 (signature_hash, expires_at) VALUES (?, ?)", Array("expired".utf8), Int64(old.timeIntervalSince1970))
        }
        let writer = try InboxBatchingTests.writer(node)
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isStored)
        let (current, legacy) = try await node.store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM seen_signatures") ?? -1,
             try db.scalar(Int.self, "SELECT count(*) FROM seen_signatures_v2") ?? -1)
        }
        // The stored activity's key is in its row; the duplicate below records one.
        #expect(current == 0)
        #expect(legacy == 0)
        #expect(try await writer.store(InboxBatchingTests.entry(1, signature: "signed anew")).isDuplicate)
        #expect(try await node.store.database.read { try $0.scalar(Int.self, "SELECT count(*) FROM seen_signatures") } == 1)
    }

    @Test func aNodeBlockedAfterItsTrustWasCachedGetsNothingPersisted() async throws {
        let node = try TestNode()
        let cache = InboxTrustCache()
        let writer = try InboxBatchingTests.writer(node, cache: cache)
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isStored)
        #expect(cache.usable(for: "b.example")?.level == .trusted)

        // Blocked by another connection (the CLI does this from another process).
        try await node.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "b.example", level: .blocked))
        }
        let outcome = try await writer.store(InboxBatchingTests.entry(2))
        guard case .blocked(let refusal) = outcome else {
            Issue.record("expected a refusal, got \(outcome)")
            return
        }
        #expect(refusal.contains("blocked"))
        // The refusal left no trace, and the cache no longer offers a usable decision.
        let (activities, signatures) = try await node.store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM inbox_activities") ?? -1,
             try db.scalar(Int.self, "SELECT count(*) FROM seen_signatures") ?? -1)
        }
        #expect(activities == 1 && signatures == 0)
        #expect(cache.usable(for: "b.example") == nil)

        // Trusted again: accepted at once.
        try await node.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "b.example", level: .trusted))
        }
        #expect(try await writer.store(InboxBatchingTests.entry(2)).isStored)
    }

    @Test func theProcessorAcknowledgesATypeNoHandlerActsOnFromTheStoredType() async throws {
        let node = try TestNode()
        let writer = try InboxBatchingTests.writer(node)
        // The body is not even JSON: the stored type alone decides (the pipeline parsed it on receipt).
        var like = InboxBatchingTests.entry(1)
        like.body = Array("not parsed again".utf8)
        #expect(try await writer.store(like).isStored)
        #expect(try await writer.store(InboxBatchingTests.entry(2, type: "Follow")).isStored)
        let stored = try await node.store.database.read { try InboxRepository($0).pending(limit: 10) }
        #expect(stored.map(\.type) == ["Like", "Follow"])

        let recorder = RecordingHandler(database: node.store.database)
        let processor = InboxProcessor(database: node.store.database, handlers: [recorder], log: { _ in })
        await processor.drain()
        #expect(recorder.seen == [["https://b.example/activities/2": 0]])
        #expect(try await InboxBatchingTests.states(node) == ["done", "done"])
    }

    @Test func anActivityWithNothingToProcessIsStoredDoneWhileNothingEarlierIsPending() async throws {
        let node = try TestNode()
        let recorder = RecordingHandler(database: node.store.database)
        let processor = InboxProcessor(
            database: node.store.database, handlers: [recorder, SkippingHandler()], log: { _ in })
        let wakes = Mutex(0)
        let writer = try InboxBatchingTests.writer(node, processor: processor, accepted: { wakes.withLock { $0 += 1 } })
        func announce(_ index: Int, object: String) throws -> InboxWriter.Entry {
            var entry = InboxBatchingTests.entry(index, type: "Announce")
            entry.json = try JSON.parse(Array(#"{"type":"Announce","object":"\#(object)"}"#.utf8))
            return entry
        }

        // No handler acts on Like; the Announce handler says this one needs nothing: both done at once.
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isStored)
        #expect(try await writer.store(try announce(2, object: SkippingHandler.skipped)).isStored)
        #expect(try await InboxBatchingTests.states(node) == ["done", "done"])
        #expect(wakes.withLock { $0 } == 0)
        // Still recorded: a redelivery is a duplicate, its replay a replay.
        #expect(try await writer.store(InboxBatchingTests.entry(1, signature: "fresh")).isDuplicate)
        #expect(try await writer.store(InboxBatchingTests.entry(1)).isReplay)

        // A handled one is queued (and wakes the processor); after it, everything waits its turn,
        // since processing it could change what the later ones need.
        #expect(try await writer.store(InboxBatchingTests.entry(3, type: "Follow")).isStored)
        #expect(try await writer.store(InboxBatchingTests.entry(4)).isStored)
        #expect(try await writer.store(try announce(5, object: SkippingHandler.skipped)).isStored)
        #expect(try await InboxBatchingTests.states(node) == ["done", "done", "pending", "pending", "pending"])
        #expect(wakes.withLock { $0 } == 3)

        await processor.drain()
        #expect(recorder.seen == [["https://b.example/activities/3": 0]])
        #expect(try await InboxBatchingTests.states(node) == ["done", "done", "done", "done", "done"])
        // Nothing pending any more: decided on receipt again.
        #expect(try await writer.store(try announce(6, object: "https://b.example/notes/kept")).isStored)
        #expect(try await writer.store(InboxBatchingTests.entry(7)).isStored)
        #expect(try await InboxBatchingTests.states(node).suffix(2) == ["pending", "pending"])
    }
}

/// Handles `Announce`; one of a skipped object needs no processing (handling it changes nothing).
struct SkippingHandler: ActivityHandler {
    static let skipped = "https://b.example/notes/skipped"
    var activityTypes: Set<String> { ["Announce"] }

    func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool {
        activity.json["object"]?.stringValue != Self.skipped
    }

    func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        try await commit { _ in }
    }
}

extension InboxWriter.Outcome {
    var isStored: Bool { if case .stored = self { true } else { false } }
    var isReplay: Bool { if case .replay = self { true } else { false } }
    var isDuplicate: Bool { if case .duplicate = self { true } else { false } }
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
