import Foundation
import PraxisActivityStreams
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Synchronization

/// A persisted activity handed to a handler.
public struct InboundActivity: Sendable {
    public var seq: Int64
    public var id: String
    public var type: String
    public var actorID: String
    public var originDomain: String
    /// The inbox path it was posted to (`/inbox`, `/users/ana/inbox`, `/communities/x/inbox`).
    public var recipient: String
    public var json: JSON
}

/// A permanent refusal of an activity: it goes to the dead letters with this reason and is not
/// retried.
public struct ActivityRejection: Error, CustomStringConvertible, Sendable {
    public let reason: String
    public init(_ reason: String) { self.reason = reason }
    public var description: String { reason }
}

/// Database changes of one processed activity. Everything a handler writes goes through
/// `commit`, which also marks the activity processed in the same transaction: a crash either
/// keeps both or neither, so no activity is ever processed twice.
public final class InboxCommit: Sendable {
    let database: Database
    let seq: Int64
    let committed = Mutex(false)

    init(database: Database, seq: Int64) {
        self.database = database
        self.seq = seq
    }

    public func callAsFunction<T: Sendable>(_ body: @escaping @Sendable (Connection) throws -> T) async throws -> T {
        let seq = seq
        let result = try await database.write { db in
            let value = try body(db)
            try InboxRepository(db).markDone(seq: seq)
            return value
        }
        committed.withLock { $0 = true }
        return result
    }

    var isCommitted: Bool { committed.withLock { $0 } }
}

/// Processes activities of some types.
public protocol ActivityHandler: Sendable {
    /// The AS2 types this handler processes (`Follow`, `Announce`, ...).
    var activityTypes: Set<String> { get }
    /// Does network work first (fetching actors or objects), then writes through `commit`.
    /// Throw `ActivityRejection` to refuse permanently; any other error is retried.
    func handle(_ activity: InboundActivity, commit: InboxCommit) async throws
    /// Whether `activity`, about to be persisted, needs ``handle(_:commit:)`` at all: false only
    /// when handling it would change nothing and reject nothing (a `Like` of something this node
    /// does not hold, addressed to none of its communities), so that it is stored already done.
    ///
    /// Asked inside the transaction that persists the activity, with the database alone (no
    /// network), only when no earlier activity is still pending (processing those first could
    /// change the answer); `activity.seq` is 0 there. The default is true: everything is handled.
    func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool
}

extension ActivityHandler {
    public func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool { true }
}

/// Works through the inbox queue one activity at a time, handing each to the handler for its
/// type. Failures are retried a few times, then dead-lettered with the reason.
///
/// Each batch is taken round-robin by origin node (``InboxRepository/pendingByOrigin(limit:)``):
/// every node's activities keep their arrival order, and a node that floods the inbox takes one
/// place per round, so other nodes' activities are processed within one batch of arriving.
public final class InboxProcessor: Sendable {
    public static let maxAttempts = 5
    /// Activities read from the queue per pass.
    public static let batchSize = 100

    private let database: Database
    private let handlers: [String: any ActivityHandler]
    private let log: @Sendable (String) -> Void
    private let state = Mutex<State>(State())
    private let stopped = Mutex<Bool>(false)

    private struct State {
        var task: Task<Void, Never>?
        var ticker: Task<Void, Never>?
        var wakeups: AsyncStream<Void>.Continuation?
    }

    /// How long the worker waits after a wake-up before it reads the queue. Processing happens
    /// after `202` anyway, so a few milliseconds cost no sender anything, while under load they
    /// let each pass take dozens of activities rather than the handful of one group commit.
    public static let gatherDelay: Duration = .milliseconds(5)

    /// How often activities waiting for a retry are tried again without a new arrival.
    public static let retryInterval: Duration = .seconds(15)

    /// Says why activities from a node may no longer be processed (it was blocked after they
    /// arrived), or nil; read when each activity is taken from the queue, so a trust change also
    /// stops what is already queued.
    private let refusal: @Sendable (String) -> String?

    /// - Parameter refusal: the trust check at processing time (origin domain → reason to refuse);
    ///   by default every queued activity is processed.
    public init(
        database: Database, handlers: [any ActivityHandler], refusal: @escaping @Sendable (String) -> String? = { _ in nil },
        log: @escaping @Sendable (String) -> Void
    ) {
        self.refusal = refusal
        self.database = database
        var byType: [String: any ActivityHandler] = [:]
        for handler in handlers { for type in handler.activityTypes { byType[type] = handler } }
        self.handlers = byType
        self.log = log
    }

    /// Whether `activity`, about to be persisted, has anything to be processed: false for a type
    /// no handler acts on (acknowledged and ignored, as ActivityPub allows) or one its handler
    /// says needs nothing (see ``ActivityHandler/needsProcessing(_:db:)``, whose conditions hold
    /// for the caller, the inbox writer).
    func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool {
        guard let handler = handlers[activity.type] else { return false }
        return try handler.needsProcessing(activity, db: db)
    }

    /// Starts the worker; pending activities left by a previous run are processed first.
    public func start() {
        let (stream, continuation) = AsyncStream<Void>.makeStream(bufferingPolicy: .bufferingNewest(1))
        let task = Task { [self] in
            continuation.yield()
            for await _ in stream {
                if stopped.withLock({ $0 }) { break }
                // Let arrivals gather: one pass then reads and acknowledges many activities in
                // one read and one write transaction instead of a few per committed batch.
                try? await Task.sleep(for: Self.gatherDelay)
                if stopped.withLock({ $0 }) { break }
                await drain()
            }
        }
        let ticker = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: Self.retryInterval)
                continuation.yield()
            }
        }
        state.withLock {
            $0.task = task
            $0.ticker = ticker
            $0.wakeups = continuation
        }
    }

    /// New activities were persisted.
    public func wake() {
        _ = state.withLock { $0.wakeups?.yield() }
    }

    /// Finishes the activity in progress and stops; the rest stays queued.
    public func stop() async {
        stopped.withLock { $0 = true }
        let task = state.withLock { state -> Task<Void, Never>? in
            state.ticker?.cancel()
            state.wakeups?.finish()
            return state.task
        }
        await task?.value
    }

    /// Processes everything pending now.
    func drain() async {
        while !stopped.withLock({ $0 }) {
            let batch: [InboxActivity]
            do {
                batch = try await database.read { db in try InboxRepository(db).pendingByOrigin(limit: Self.batchSize) }
            } catch {
                log("inbox: cannot read the queue: \(error)")
                return
            }
            if batch.isEmpty { return }
            var progressed = false
            // Activities no handler acts on are only marked done: consecutive ones share one
            // transaction, written before the next handled activity, so the order holds.
            var acknowledged: [Int64] = []
            // The trust check is read once per origin node and batch, not once per activity.
            var refusals: [String: String?] = [:]
            for item in batch {
                if stopped.withLock({ $0 }) { break }
                // The type was validated and recorded on receipt: a type no handler acts on is
                // acknowledged without parsing the body again.
                if let type = item.type, handlers[type] == nil {
                    acknowledged.append(item.seq)
                    continue
                }
                let json: JSON
                do {
                    json = try JSON.parse(item.body, limits: InboxPipeline.jsonLimits)
                } catch {
                    if await markDone(&acknowledged) { progressed = true }
                    if await deadLetter(item, reason: "unparseable body: \(error)") { progressed = true }
                    continue
                }
                let type = json.asType ?? ""
                guard let handler = handlers[type] else {
                    // Activity types Praxis does not act on are acknowledged and ignored, as AP allows.
                    acknowledged.append(item.seq)
                    continue
                }
                if await markDone(&acknowledged) { progressed = true }
                let refusal = refusals[item.originDomain] ?? self.refusal(item.originDomain)
                refusals[item.originDomain] = refusal
                if let refusal {
                    log("inbox: not processing \(type) \(item.activityID) from \(item.originDomain): \(refusal)")
                    if await deadLetter(item, reason: "not processed: \(refusal)") { progressed = true }
                    continue
                }
                if await process(item, json: json, type: type, handler: handler) { progressed = true }
            }
            if await markDone(&acknowledged) { progressed = true }
            if stopped.withLock({ $0 }) { return }
            // Only items waiting for a retry remain: try again on the next wake-up or later.
            if !progressed { return }
        }
    }

    /// Marks the acknowledged activities done in one transaction and empties the list; true when
    /// there were some and they were written.
    private func markDone(_ acknowledged: inout [Int64]) async -> Bool {
        guard !acknowledged.isEmpty else { return false }
        let seqs = acknowledged
        acknowledged.removeAll()
        do {
            try await database.write { db in
                let inbox = InboxRepository(db)
                for seq in seqs { try inbox.markDone(seq: seq) }
            }
            return true
        } catch {
            log("inbox: cannot mark \(seqs.count) activities processed: \(error)")
            return false
        }
    }

    /// Hands one parsed activity to its handler; true when it left the pending state.
    private func process(_ item: InboxActivity, json: JSON, type: String, handler: any ActivityHandler) async -> Bool {
        let activity = InboundActivity(
            seq: item.seq, id: item.activityID, type: type, actorID: item.actorID, originDomain: item.originDomain,
            recipient: item.recipient, json: json)
        let commit = InboxCommit(database: database, seq: item.seq)
        do {
            try await handler.handle(activity, commit: commit)
            if !commit.isCommitted { try await commit { _ in } }
            return true
        } catch let rejection as ActivityRejection {
            log("inbox: rejected \(type) \(item.activityID) from \(item.originDomain): \(rejection.reason)")
            return await deadLetter(item, reason: rejection.reason)
        } catch {
            if item.attempts + 1 >= Self.maxAttempts {
                return await deadLetter(item, reason: "failed \(Self.maxAttempts) times; last error: \(error)")
            }
            let seq = item.seq
            try? await database.write { db in try InboxRepository(db).recordFailure(seq: seq) }
            log("inbox: will retry \(type) \(item.activityID): \(error)")
            return false
        }
    }

    private func deadLetter(_ item: InboxActivity, reason: String) async -> Bool {
        do {
            try await database.write { db in try InboxRepository(db).deadLetter(item, reason: reason) }
            return true
        } catch {
            log("inbox: cannot dead-letter \(item.activityID): \(error)")
            return false
        }
    }
}
