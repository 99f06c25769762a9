import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

@testable import PraxisFederation

/// The inbox queue is processed round-robin by origin node: one node's backlog does not delay
/// another node's activities beyond one batch.
struct InboxFairnessTests {
    /// Stores `count` pending `Follow`s from `domain`, numbered from `first`.
    static func enqueue(_ count: Int, from domain: String, first: Int = 0, into store: NodeStore) async throws {
        try await store.database.write { db in
            let inbox = InboxRepository(db)
            for index in first..<(first + count) {
                let id = "https://\(domain)/activities/\(index)"
                let body = #"{"id":"\#(id)","type":"Follow","actor":"https://\#(domain)/users/ana"}"#
                _ = try inbox.insert(activityID: id, actorID: "https://\(domain)/users/ana", originDomain: domain,
                                     recipient: "/inbox", body: Array(body.utf8), type: "Follow")
            }
        }
    }

    @Test func batchesInterleaveNodesAndKeepEachNodesOrder() async throws {
        let node = try TestStore()
        try await Self.enqueue(300, from: "a.example", into: node.store)
        try await Self.enqueue(2, from: "b.example", into: node.store)
        try await Self.enqueue(1, from: "c.example", into: node.store)
        let batch = try await node.store.database.read { try InboxRepository($0).pendingByOrigin(limit: 100) }
        #expect(batch.count == 100)
        #expect(batch.prefix(5).map(\.originDomain) == ["a.example", "b.example", "c.example", "a.example", "b.example"])
        let fromA = batch.filter { $0.originDomain == "a.example" }.map(\.activityID)
        #expect(fromA == (0..<fromA.count).map { "https://a.example/activities/\($0)" })
        // Arrival order within a node: the oldest first, every time.
        #expect(batch.filter { $0.originDomain == "b.example" }.map(\.activityID)
            == ["https://b.example/activities/0", "https://b.example/activities/1"])
        #expect(try await node.store.database.read { try InboxRepository($0).pendingByOrigin(limit: 0) }.isEmpty)
    }

    @Test func aBacklogOfAThousandFromOneNodeDoesNotDelayAnotherNodesActivityBeyondOneBatch() async throws {
        let node = try TestStore()
        try await Self.enqueue(1_000, from: "a.example", into: node.store)
        try await Self.enqueue(1, from: "b.example", into: node.store)
        let handler = OrderRecorder()
        let processor = InboxProcessor(database: node.store.database, handlers: [handler], log: { _ in })
        await processor.drain()
        let order = handler.order
        #expect(order.count == 1_001)
        let position = try #require(order.firstIndex(of: "https://b.example/activities/0"))
        #expect(position < InboxProcessor.batchSize)
        // Without fairness B's activity would have come last, after all of A's.
        #expect(position <= 1)
        #expect(order.filter { $0.hasPrefix("https://a.example/") }
            == (0..<1_000).map { "https://a.example/activities/\($0)" })
        #expect(try await node.store.database.read { try InboxRepository($0).pendingCount() } == 0)
    }

    /// Activities queued before their node was blocked are not processed: they go to the dead
    /// letters with the reason, and other nodes' activities are processed as usual.
    @Test func activitiesQueuedBeforeABlockAreNotProcessed() async throws {
        let node = try TestStore()
        try await Self.enqueue(3, from: "a.example", into: node.store)
        try await Self.enqueue(1, from: "b.example", into: node.store)
        let handler = OrderRecorder()
        let processor = InboxProcessor(
            database: node.store.database, handlers: [handler],
            refusal: { $0 == "a.example" ? "a.example has been blocked by this node's trust list since the activity arrived" : nil },
            log: { _ in })
        await processor.drain()
        #expect(handler.order == ["https://b.example/activities/0"])
        let dead = try await node.store.database.read { try InboxRepository($0).deadLetters() }
        #expect(dead.count == 3)
        #expect(dead.allSatisfy { $0.reason == "not processed: a.example has been blocked by this node's trust list since the activity arrived" })
        #expect(try await node.store.database.read { try InboxRepository($0).pendingCount() } == 0)
    }
}

/// Handles `Follow` by recording the order activities arrive in.
final class OrderRecorder: ActivityHandler {
    private let log = Mutex<[String]>([])
    var activityTypes: Set<String> { ["Follow"] }
    var order: [String] { log.withLock { $0 } }

    func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        log.withLock { $0.append(activity.id) }
        try await commit { _ in }
    }
}
