import Dispatch
import Foundation
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Synchronization

/// Persists verified activities with group commit: requests that arrive while a transaction is
/// being written are stored together in the next one.
///
/// Each activity still gets exactly the effect it had alone (inserted with the replay key of its
/// request, deduplicated by id, see ``InboxRepository/receive(activityID:actorID:originDomain:recipient:body:type:signatureHash:signatureCreated:receivedAt:processed:)``). A batch is written without a
/// savepoint per activity; should one activity fail, the transaction is undone and the batch
/// written again with a savepoint each, so that the failing one is undone alone and the others
/// are stored. What is shared is the transaction, hence the WAL pages and
/// the thread hops to the writer: under load the cost of a commit is spread over every activity
/// waiting for it, and an idle node still commits each activity at once. A caller resumes only
/// after the transaction holding its activity committed, so `202` still means persisted.
///
/// The trust list is read again inside that transaction, once per node in the batch: the
/// pipeline's earlier check may come from ``InboxTrustCache``, and this one is exact (a node
/// blocked a moment ago gets nothing persisted). Replay keys of signatures too old to pass the
/// clock check are pruned here now and then, in one range delete at the old end of their index.
///
/// An activity with nothing to process (a type no handler acts on, or one its handler says needs
/// nothing, see ``ActivityHandler/needsProcessing(_:db:)``) is stored already done, in this same
/// transaction: its row still deduplicates redeliveries, and the processor neither reads nor
/// writes it again. That is decided only while no earlier activity is pending, so that the
/// answer cannot depend on processing still to come.
final class InboxWriter: Sendable {
    /// A verified activity to store.
    struct Entry: Sendable {
        var signatureHash: [UInt8]
        /// The signature's signed creation time: part of its replay key.
        var signatureCreated: Date
        var activityID: String
        /// The activity type, validated by the pipeline.
        var type: String
        var actorID: String
        var originDomain: String
        var recipient: String
        var body: [UInt8]
        /// The parsed body, for deciding whether it needs processing.
        var json: JSON
    }

    /// What happened to one entry.
    enum Outcome: Sendable {
        /// Stored; the processor has something new.
        case stored
        /// An activity with this id was already received: acknowledged, nothing stored.
        case duplicate
        /// The same signature was accepted before: nothing stored.
        case replay
        /// The trust list blocks the sending node now: nothing stored; the refusal says why.
        case blocked(String)
    }

    /// How often replay keys too old to matter are deleted.
    static let pruneInterval: TimeInterval = 60

    /// Largest number of activities written in one transaction, so that one commit stays short.
    static let maxBatch = 256

    /// A batch this large is written without waiting for more.
    static let gatherTarget = 32
    /// How long a busy writer waits for a batch to fill (see `writeQueued`).
    static let gatherMicroseconds: UInt32 = 500

    private struct Waiting {
        var entry: Entry
        /// Unchecked: every waiting entry is resumed exactly once, by `writeQueued` (with its
        /// outcome or its batch's error); the checked kind allocated a guard object per activity.
        var continuation: UnsafeContinuation<Outcome, any Error>
    }

    private struct State {
        var queue: [Waiting] = []
        var writing = false
    }

    /// Touched only by the batch being written (one at a time, on `queue`).
    private struct WriterState {
        var lastPrune = Date.distantPast
    }

    private let database: Database
    /// Decides which activities need processing; nil: all of them do.
    private let processor: InboxProcessor?
    private let policy: TrustPolicy
    private let trustCache: InboxTrustCache
    private let writerState = Mutex(WriterState())
    private let state = Mutex(State())
    /// Where batches are written, one at a time, off the callers' threads.
    private let queue = DispatchQueue(label: "praxis.inbox.writer")
    /// Called once per committed transaction that stored at least one new activity.
    private let accepted: @Sendable () -> Void

    /// - Parameter accepted: called after a transaction that stored new activities committed
    ///   (wakes the processor once per transaction rather than once per activity).
    init(
        database: Database, processor: InboxProcessor?, policy: TrustPolicy, trustCache: InboxTrustCache,
        accepted: @escaping @Sendable () -> Void
    ) {
        self.database = database
        self.processor = processor
        self.policy = policy
        self.trustCache = trustCache
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
        try await withUnsafeThrowingContinuation { continuation in
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
        var busy = false
        while true {
            // Under sustained load (the queue refilled while the last batch was written) wait a
            // moment for more: without it the bench's batches averaged under three activities,
            // with 200 µs about six, with 500 µs about eight: fewer commits, WAL pages and hops here.
            // The first batch after an idle spell is written at once, so an idle node adds no delay.
            if busy, state.withLock({ $0.queue.count }) < Self.gatherTarget {
                usleep(Self.gatherMicroseconds)
            }
            busy = true
            let batch = takeBatch()
            if batch.isEmpty { return }
            let entries = batch.map(\.entry)
            let housekeeping = writerState.withLock { $0 }
            let prune = housekeeping.lastPrune.timeIntervalSinceNow < -Self.pruneInterval
            do {
                let write = { (isolated: Bool) in
                    try self.database.write { db in
                        try self.writeBatch(entries, db: db, prune: prune, isolated: isolated)
                    }
                }
                // Savepoints cost three statements per activity, so a batch is first written without
                // them; when one of its activities fails, the whole transaction is undone and the
                // batch written again with one savepoint each, which undoes the failing one alone.
                let (outcomes, decisions, queued) = try (try? write(false)) ?? write(true)
                if prune { writerState.withLock { $0.lastPrune = Date() } }
                for (domain, decision) in decisions { trustCache.remember(decision, for: domain) }
                if queued { accepted() }
                for (waiting, outcome) in zip(batch, outcomes) { waiting.continuation.resume(with: outcome) }
            } catch {
                for waiting in batch { waiting.continuation.resume(throwing: error) }
            }
        }
    }

    /// One batch inside the writer's transaction: the trust decision of each node in it, then each
    /// entry, in its own savepoint when `isolated` (otherwise the first failing entry throws, and
    /// the caller undoes the transaction).
    /// - Returns: the outcomes, the trust decisions read, and whether an activity was queued for
    ///   the processor.
    private func writeBatch(_ entries: [Entry], db: Connection, prune: Bool, isolated: Bool) throws
        -> ([Result<Outcome, any Error>], [String: InboxTrustCache.Decision], Bool)
    {
        let inbox = InboxRepository(db)
        if prune {
            // A signature created this long ago fails the clock check, so its key guards nothing.
            let now = Date()
            try inbox.pruneSignatures(createdBefore: now.addingTimeInterval(-2 * RequestAuthenticator.maxClockSkew), now: now)
        }
        var decisions: [String: InboxTrustCache.Decision] = [:]
        for entry in entries where decisions[entry.originDomain] == nil {
            decisions[entry.originDomain] = try policy.decision(for: entry.originDomain, db: db)
        }
        // Once something is pending, everything after it in this batch is queued too (order).
        var mayFinish = try processor != nil && !inbox.hasPending()
        var queued = false
        let now = Date()
        func store(_ entry: Entry) throws -> Outcome {
            let (outcome, pending) = try write(entry, db: db, mayFinish: mayFinish, now: now)
            if pending {
                queued = true
                mayFinish = false
            }
            return outcome
        }
        var outcomes: [Result<Outcome, any Error>] = []
        outcomes.reserveCapacity(entries.count)
        for entry in entries {
            if let decision = decisions[entry.originDomain], decision.level == .blocked {
                outcomes.append(.success(.blocked(decision.refusal)))
            } else if isolated {
                outcomes.append(Result { try db.transaction { try store(entry) } })
            } else {
                outcomes.append(.success(try store(entry)))
            }
        }
        return (outcomes, decisions, queued)
    }

    /// Stores the activity with its replay key, already done when `mayFinish` and nothing needs
    /// processing. - Returns: the outcome, and whether the activity was queued as pending.
    private func write(_ entry: Entry, db: Connection, mayFinish: Bool, now: Date) throws -> (Outcome, Bool) {
        var finished = false
        if mayFinish, let processor {
            let activity = InboundActivity(
                seq: 0, id: entry.activityID, type: entry.type, actorID: entry.actorID, originDomain: entry.originDomain,
                recipient: entry.recipient, json: entry.json)
            // A failing check leaves the activity to the processor, which decides in full.
            finished = !((try? processor.needsProcessing(activity, db: db)) ?? true)
        }
        let reception = try InboxRepository(db).receive(
            activityID: entry.activityID, actorID: entry.actorID, originDomain: entry.originDomain, recipient: entry.recipient,
            body: entry.body, type: entry.type, signatureHash: entry.signatureHash, signatureCreated: entry.signatureCreated,
            receivedAt: now, processed: finished)
        switch reception {
        case .stored: return (.stored, !finished)
        case .duplicate: return (.duplicate, false)
        case .replay: return (.replay, false)
        }
    }
}

