import Dispatch
import Foundation
import PraxisSQLite
import PraxisStorage
import Synchronization

/// Persists verified activities with group commit: requests that arrive while a transaction is
/// being written are stored together in the next one.
///
/// Each activity still gets exactly the effect it had alone (its signature recorded against
/// replays, then the activity inserted, deduplicated by id) inside its own savepoint, so one
/// failing activity is undone alone. What is shared is the transaction, hence the WAL pages and
/// the thread hops to the writer: under load the cost of a commit is spread over every activity
/// waiting for it, and an idle node still commits each activity at once. A caller resumes only
/// after the transaction holding its activity committed, so `202` still means persisted.
final class InboxWriter: Sendable {
    /// A verified activity to store.
    struct Entry: Sendable {
        var signatureHash: [UInt8]
        var signatureExpires: Date
        var activityID: String
        var actorID: String
        var originDomain: String
        var recipient: String
        var body: [UInt8]
    }

    /// What happened to one entry.
    enum Outcome: Sendable {
        /// Stored; the processor has something new.
        case stored
        /// An activity with this id was already received: acknowledged, nothing stored.
        case duplicate
        /// The same signature was accepted before: nothing stored.
        case replay
    }

    /// Largest number of activities written in one transaction, so that one commit stays short.
    static let maxBatch = 256

    private struct Waiting {
        var entry: Entry
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    private let database: Database
    private let state = Mutex(State())
    /// Where batches are written, one at a time, off the callers' threads.
    private let queue = DispatchQueue(label: "praxis.inbox.writer")
    /// Called once per committed transaction that stored at least one new activity.
    private let accepted: @Sendable () -> Void

    /// - Parameter accepted: called after a transaction that stored new activities committed
    ///   (wakes the processor once per transaction rather than once per activity).
    init(database: Database, accepted: @escaping @Sendable () -> Void) {
        self.database = database
        self.accepted = accepted
    }

    /// Stores `entry` in the next transaction and returns once it committed.
    ///
    /// The transaction is written off the caller's thread: while the hop to the writer takes
    /// place, other activities join the queue, so under load each commit carries many of them
    /// (writing at once on the caller's thread was tried: batches became smaller and the inbox
    /// bench used more CPU per activity).
    /// - Throws: the database error when its transaction (or its own savepoint) failed.
    func store(_ entry: Entry) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            let startWriting = state.withLock { state -> Bool in
                state.queue.append(Waiting(entry: entry, continuation: continuation))
                if state.writing { return false }
                state.writing = true
                return true
            }
            if startWriting { queue.async { self.writeQueued() } }
        }
    }

    /// Up to `maxBatch` queued entries; clears `writing` when there are none (the writer stops).
    private func takeBatch() -> [Waiting] {
        state.withLock { state -> [Waiting] in
            let count = min(state.queue.count, Self.maxBatch)
            if count == 0 {
                state.writing = false
                return []
            }
            let batch = Array(state.queue.prefix(count))
            state.queue.removeFirst(count)
            return batch
        }
    }

    /// Writes batches until nothing is waiting, on `queue`: waiting for the writer connection
    /// there blocks no task, and the batch needs no further hop to the database's own queue.
    private func writeQueued() {
        while true {
            let batch = takeBatch()
            if batch.isEmpty { return }
            let entries = batch.map(\.entry)
            do {
                let outcomes = try database.write { db in
                    entries.map { entry in Result { try db.transaction { try Self.write(entry, db: db) } } }
                }
                if outcomes.contains(where: { if case .success(.stored) = $0 { true } else { false } }) { accepted() }
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    private static func write(_ entry: Entry, db: Connection) throws -> Outcome {
        let inbox = InboxRepository(db)
        guard try inbox.recordSignature(hash: entry.signatureHash, expiresAt: entry.signatureExpires) else { return .replay }
        let inserted = try inbox.insert(
            activityID: entry.activityID, actorID: entry.actorID, originDomain: entry.originDomain, recipient: entry.recipient,
            body: entry.body)
        return inserted ? .stored : .duplicate
    }
}

