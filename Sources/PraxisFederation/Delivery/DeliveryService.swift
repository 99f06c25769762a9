import Dispatch
import Foundation
import PraxisHTTP
import PraxisSQLite
import Synchronization

/// Sends queued deliveries (see ``DeliveryQueue``): one lane per destination node, several
/// requests in flight per lane, activities about the same object in order, retries with backoff
/// and jitter, a circuit breaker for dead nodes, and nothing lost across a crash.
///
/// ```swift
/// let delivery = DeliveryService(database: db, client: client, signer: signer, configuration: .init(),
///                                mayDeliver: { authority in trust.allows(authority) }, log: { print($0) })
/// try delivery.start()
/// try db.write { conn in
///     try posts.insert(post, conn)
///     try DeliveryQueue.enqueue(activity, to: inboxes, db: conn)
/// }
/// delivery.wake()
/// ...
/// await delivery.stop()
/// ```
///
/// **Durability.** A delivery is claimed (`inflight`) in a committed transaction before its
/// request is sent, and removed only after a 2xx answer. A process killed at any moment leaves
/// claimed rows `inflight`; `start()` queues them again, so at worst an activity is sent twice,
/// which receivers absorb by deduplicating on the activity id.
///
/// **Scheduling.** One scheduler thread owns all lane state. Each pass records finished
/// attempts and claims due deliveries lane by lane, each in one transaction, then sleeps until
/// the next due time, a finished attempt or ``wake()``. Each attempt is a task that prefers the
/// service's own executor threads (signing happens there too), so a cooperative pool kept busy
/// by other work does not hold deliveries back; its request runs on the ``HTTPClient`` (which
/// blocks its own threads). The scheduler keeps at most
/// ``DeliveryConfiguration/maxConcurrentRequests`` attempts in flight, which is the only bound on
/// the client's threads. Give the client at least ``DeliveryConfiguration/maxInFlightPerLane``
/// idle connections per host so lanes reuse them.
///
/// **Outcomes.** 2xx: delivered. 408, 429, 5xx, timeouts and connection errors: retried with
/// exponential backoff and jitter, or at the `Retry-After` time when the destination gives one
/// (a 429 with `Retry-After` also holds back the whole lane), until the horizon, then failed.
/// Other 4xx, 3xx (redirects are not followed), refused URLs or addresses and signing errors:
/// failed at once. Failures are kept for the operator (``DeliveryQueue/failures(db:limit:)``).
///
/// **Circuit breaker.** After ``DeliveryConfiguration/breakerThreshold`` transport failures or
/// 5xx answers in a row, a lane is parked: one probe per probe interval (doubling up to a cap)
/// until the destination answers, then every delivery of the lane is made due again.
///
/// **Trust.** `mayDeliver` is asked with the destination authority before each claim; when it
/// says no, the lane's deliveries not yet in flight are failed with "blocked by trust list".
/// It must be quick and must not write to the database.
public final class DeliveryService: Sendable {
    public let configuration: DeliveryConfiguration
    fileprivate let database: Database
    fileprivate let client: HTTPClient
    fileprivate let signer: any DeliverySigner
    fileprivate let mayDeliver: @Sendable (String) -> Bool
    fileprivate let log: @Sendable (String) -> Void
    private let shared = Mutex<Shared>(Shared())
    /// Wakes the scheduler thread; `Shared.wakePending` keeps signals from piling up.
    private let signal = DispatchSemaphore(value: 0)
    private let executor = DeliveryExecutor(name: "praxis.delivery.attempts")

    fileprivate enum Phase { case idle, running, stopping, stopped }

    private struct Shared {
        var phase: Phase = .idle
        var outcomes: [DeliveryOutcome] = []
        var newWork = false
        var wakePending = false
        var tasks: [Int64: Task<Void, Never>] = [:]
        var stopWaiters: [CheckedContinuation<Void, Never>] = []
        var delivered = 0
        var failed = 0
    }

    /// - Parameters:
    ///   - mayDeliver: whether the trust list lets us send to a destination authority now.
    ///   - log: receives one line per notable event (permanent failure, lane parked or resumed,
    ///     database error), for the node's log.
    public init(
        database: Database, client: HTTPClient, signer: any DeliverySigner, configuration: DeliveryConfiguration = .init(),
        mayDeliver: @escaping @Sendable (String) -> Bool, log: @escaping @Sendable (String) -> Void
    ) {
        self.database = database
        self.client = client
        self.signer = signer
        self.configuration = configuration
        self.mayDeliver = mayDeliver
        self.log = log
    }

    /// Queues again the deliveries a previous process left in flight, loads the breaker state and
    /// starts the scheduler thread.
    /// - Throws: ``DeliveryError`` when the service was already started; `SQLiteError` when the
    ///   queue cannot be read (the service then stays unstarted and can be started again).
    public func start() throws {
        try shared.withLock { (shared) throws(DeliveryError) in
            guard shared.phase == .idle else { throw DeliveryError("the delivery service was already started") }
            shared.phase = .running
        }
        let seed: SchedulerSeed
        do {
            seed = try database.write { db in
                let store = DeliveryStore(db: db)
                let reset = try store.resetInflight()
                return SchedulerSeed(
                    lanes: try store.loadLanes(), due: try store.dueByLane(after: nil), highWater: try store.highWater(),
                    resumed: reset)
            }
        } catch {
            shared.withLock { $0.phase = .idle }
            throw error
        }
        if seed.resumed > 0 {
            log("delivery: \(seed.resumed) deliveries left in flight by the previous run were queued again")
        }
        executor.start(threads: max(2, HTTPServerConfiguration.coreCount))
        let thread = Thread { [self] in
            DeliveryScheduler(service: self, seed: seed).run()
        }
        thread.name = "praxis.delivery"
        thread.start()
    }

    /// Tells the scheduler that deliveries were queued. Call it after the enqueuing transaction
    /// committed; without it they are found at the next poll.
    public func wake() {
        let wake = shared.withLock { shared -> Bool in
            shared.newWork = true
            return Self.takeWakeup(&shared)
        }
        if wake { signal.signal() }
    }

    /// Stops claiming work, waits up to ``DeliveryConfiguration/stopTimeout`` for requests in
    /// flight, cancels what is left (queued again for the next start) and returns when the
    /// scheduler has stopped. Idempotent.
    public func stop() async {
        let wait = shared.withLock { shared -> Bool in
            switch shared.phase {
            case .idle:
                shared.phase = .stopped
                return false
            case .running:
                shared.phase = .stopping
                return true
            case .stopping:
                return true
            case .stopped:
                return false
            }
        }
        guard wait else { return }
        signal.signal()
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let stopped = shared.withLock { shared -> Bool in
                if shared.phase == .stopped { return true }
                shared.stopWaiters.append(continuation)
                return false
            }
            if stopped { continuation.resume() }
        }
    }

    /// The queue's state per lane (from the database), plus what this service delivered and
    /// failed since it started.
    public func stats() throws -> DeliveryStats {
        var stats = try database.read { try DeliveryQueue.stats(db: $0) }
        let counters = shared.withLock { ($0.delivered, $0.failed) }
        stats.deliveredSinceStart = counters.0
        stats.failedSinceStart = counters.1
        return stats
    }

    /// Waits until no delivery is pending (all delivered or failed); false when `timeout` passes
    /// first (for example while a lane is parked). For tests and benchmarks.
    public func waitUntilIdle(timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while true {
            // Read the clock before the queue: the caller may be suspended for long between the
            // two, and only a queue read after the deadline may say it passed with work pending.
            let expired = ContinuousClock.now >= deadline
            let busy = (try? await database.read { db in
                try db.scalar(
                    Int.self, "SELECT 1 FROM deliveries WHERE state IN ('waiting', 'queued', 'inflight') LIMIT 1") != nil
            }) ?? true
            if !busy { return true }
            if expired { return false }
            try? await Task.sleep(for: .milliseconds(2))
        }
    }

    // MARK: - Scheduler side

    /// True when the caller must signal the semaphore (no wakeup is pending yet).
    private static func takeWakeup(_ shared: inout Shared) -> Bool {
        if shared.wakePending { return false }
        shared.wakePending = true
        return true
    }

    /// Finished attempts and the "new work" flag since the last call, and the phase.
    fileprivate func takeWork() -> (phase: Phase, outcomes: [DeliveryOutcome], newWork: Bool) {
        shared.withLock { shared in
            shared.wakePending = false
            let taken = (shared.phase, shared.outcomes, shared.newWork)
            shared.outcomes = []
            shared.newWork = false
            return taken
        }
    }

    /// Gives back work a failed database transaction could not record.
    fileprivate func putBack(_ outcomes: [DeliveryOutcome], newWork: Bool) {
        shared.withLock { shared in
            shared.outcomes.insert(contentsOf: outcomes, at: 0)
            shared.newWork = shared.newWork || newWork
        }
    }

    fileprivate func count(delivered: Int, failed: Int) {
        guard delivered != 0 || failed != 0 else { return }
        shared.withLock { shared in
            shared.delivered += delivered
            shared.failed += failed
        }
    }

    /// Sleeps until `deadline` (ms since 1970) or a wakeup.
    fileprivate func sleep(until deadline: Int64) {
        let delay = deadline - Date().deliveryMilliseconds
        guard delay > 0 else { return }
        _ = signal.wait(timeout: .now() + .milliseconds(Int(min(delay, 3_600_000))))
    }

    fileprivate func launch(_ delivery: ClaimedDelivery) {
        shared.withLock { shared in
            shared.tasks[delivery.id] = Task(executorPreference: executor) { [self] in
                let result = await attempt(delivery)
                report(DeliveryOutcome(delivery: delivery, result: result))
            }
        }
    }

    fileprivate func cancelInFlight() {
        let tasks = shared.withLock { Array($0.tasks.values) }
        for task in tasks { task.cancel() }
    }

    fileprivate func schedulerStopped() {
        executor.shutdown()
        let waiters = shared.withLock { shared in
            shared.phase = .stopped
            let waiters = shared.stopWaiters
            shared.stopWaiters = []
            return waiters
        }
        for waiter in waiters { waiter.resume() }
    }

    private func report(_ outcome: DeliveryOutcome) {
        let wake = shared.withLock { shared -> Bool in
            shared.tasks[outcome.delivery.id] = nil
            shared.outcomes.append(outcome)
            return Self.takeWakeup(&shared)
        }
        if wake { signal.signal() }
    }

    // MARK: - One attempt

    private func attempt(_ delivery: ClaimedDelivery) async -> DeliveryResult {
        var request = HTTPClientRequest(
            method: .post, url: delivery.inbox,
            headers: [
                "Content-Type": "application/activity+json",
                "Accept": "application/activity+json, application/ld+json",
            ],
            body: delivery.body)
        do {
            try signer.sign(&request, as: delivery.signer)
        } catch {
            return .permanent(status: nil, reason: "could not sign the request as '\(delivery.signer)': \(error)")
        }
        do {
            let response = try await send(request)
            return DeliveryClassifier.classify(response, now: Date())
        } catch {
            return DeliveryClassifier.classify(error)
        }
    }

    /// Sends with the configured timeout; the request is cancelled when the time is up.
    private func send(_ request: HTTPClientRequest) async throws -> HTTPClientResponse {
        let client = self.client
        let timeout = configuration.requestTimeout
        return try await withThrowingTaskGroup(of: HTTPClientResponse?.self) { group in
            group.addTask { try await client.send(request, followRedirects: false) }
            group.addTask {
                try await Task.sleep(for: timeout)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let response = first else {
                throw DeliveryTimeout(inbox: request.url, timeout: timeout)
            }
            return response
        }
    }
}

/// What the scheduler starts from, read in `start()`.
private struct SchedulerSeed: Sendable {
    var lanes: [String: LaneRecord]
    var due: [String: Int64]
    var highWater: Int64
    var resumed: Int
}

/// The scheduler loop. Confined to its thread: all lane state lives here, unlocked.
private final class DeliveryScheduler {
    struct Lane {
        var record = LaneRecord()
        var inFlight = 0
        var probeInFlight = false
        /// Earliest `next_attempt_at` of the lane's queued rows; nil when it has none.
        var nextDue: Int64?

        var isParked: Bool { record.parkedAt != nil }
    }

    /// Value type, so a pass can be rolled back in memory when its transaction fails.
    struct State {
        var lanes: [String: Lane] = [:]
        var inFlight = 0
        var highWater: Int64 = 0
        var nextFullScan: Int64 = 0
        var delivered = 0
        var failed = 0
    }

    let service: DeliveryService
    let configuration: DeliveryConfiguration
    var state = State()
    let horizon: Int64
    let pollInterval: Int64
    let horizonText: String

    init(service: DeliveryService, seed: SchedulerSeed) {
        self.service = service
        self.configuration = service.configuration
        horizon = max(1, configuration.horizon.milliseconds)
        pollInterval = max(10, configuration.pollInterval.milliseconds)
        horizonText = Self.describe(configuration.horizon)
        for (name, record) in seed.lanes { state.lanes[name] = Lane(record: record) }
        for (name, due) in seed.due { state.lanes[name, default: Lane()].nextDue = due }
        state.highWater = seed.highWater
        state.nextFullScan = Date().deliveryMilliseconds + pollInterval
    }

    func run() {
        var stopDeadline: Int64?
        var cancelled = false
        while true {
            let now = Date().deliveryMilliseconds
            let (phase, outcomes, newWork) = service.takeWork()
            let stopping = phase != .running
            do {
                try record(outcomes, newWork: newWork, now: now)
            } catch {
                if stopping {
                    // Unrecorded attempts stay in flight in the database; the next start queues
                    // them again, so giving up here loses nothing.
                    service.log("delivery: could not record delivery results while stopping: \(error)")
                    break
                }
                service.putBack(outcomes, newWork: newWork)
                service.log("delivery: could not record delivery results, retrying in 1 s: \(error)")
                service.sleep(until: now + 1000)
                continue
            }
            if !stopping {
                do {
                    for delivery in try claim(now: now) { service.launch(delivery) }
                } catch {
                    service.log("delivery: could not claim due deliveries, retrying in 1 s: \(error)")
                    service.sleep(until: now + 1000)
                    continue
                }
            }
            publishCounters()
            var wakeAt: Int64
            if stopping {
                if state.inFlight == 0 { break }
                if stopDeadline == nil { stopDeadline = now + configuration.stopTimeout.milliseconds }
                if let deadline = stopDeadline, now >= deadline {
                    // Cancelled sends report back within about 100 ms; a client stuck beyond a
                    // generous grace period is abandoned: its rows stay in flight until the
                    // next start queues them again.
                    if cancelled { break }
                    cancelled = true
                    service.cancelInFlight()
                    stopDeadline = now + 2000
                }
                wakeAt = stopDeadline ?? now
            } else {
                wakeAt = nextWake(now: now)
            }
            service.sleep(until: wakeAt)
        }
        publishCounters()
        service.schedulerStopped()
    }

    private func publishCounters() {
        service.count(delivered: state.delivered, failed: state.failed)
        state.delivered = 0
        state.failed = 0
    }

    // MARK: Recording outcomes

    private func record(_ outcomes: [DeliveryOutcome], newWork: Bool, now: Int64) throws {
        let fullScan = now >= state.nextFullScan
        guard !outcomes.isEmpty || newWork || fullScan else { return }
        let saved = state
        do {
            try service.database.write { db in
                let store = DeliveryStore(db: db)
                for outcome in outcomes { try apply(outcome, store: store, now: now) }
                if fullScan {
                    let due = try store.dueByLane(after: nil)
                    for name in state.lanes.keys { state.lanes[name]?.nextDue = due[name] }
                    for (name, time) in due where state.lanes[name] == nil { state.lanes[name] = Lane(nextDue: time) }
                    state.highWater = try store.highWater()
                    state.nextFullScan = now + pollInterval
                } else if newWork {
                    for (name, time) in try store.dueByLane(after: state.highWater) { lowerDue(name, to: time) }
                    state.highWater = max(state.highWater, try store.highWater())
                }
            }
        } catch {
            state = saved
            throw error
        }
    }

    private func lowerDue(_ name: String, to time: Int64) {
        var lane = state.lanes[name] ?? Lane()
        lane.nextDue = min(lane.nextDue ?? time, time)
        state.lanes[name] = lane
    }

    private func apply(_ outcome: DeliveryOutcome, store: DeliveryStore, now: Int64) throws {
        let delivery = outcome.delivery
        let cutoff = now - horizon
        var lane = state.lanes[delivery.lane] ?? Lane()
        let before = lane.record
        if lane.record.pausedUntil <= now { lane.record.pausedUntil = 0 }
        lane.inFlight = max(0, lane.inFlight - 1)
        state.inFlight = max(0, state.inFlight - 1)
        if delivery.isProbe { lane.probeInFlight = false }
        let expiredReason = "gave up: not delivered within \(horizonText) of being queued"

        switch outcome.result {
        case .delivered:
            if try store.delivered(delivery, now: now, cutoff: cutoff, expiredReason: expiredReason) {
                lane.nextDue = min(lane.nextDue ?? now, now)
            }
            try answered(&lane, name: delivery.lane, store: store, now: now)
            state.delivered += 1

        case .permanent(let status, let reason):
            if try store.fail(
                id: delivery.id, lane: delivery.lane, key: delivery.orderingKey, status: status, reason: reason, now: now,
                cutoff: cutoff, expiredReason: expiredReason)
            {
                lane.nextDue = min(lane.nextDue ?? now, now)
            }
            service.log("delivery: \(delivery.activityID) to \(delivery.inbox) failed permanently: \(reason)")
            if status != nil { try answered(&lane, name: delivery.lane, store: store, now: now) }
            state.failed += 1

        case .transient(let status, let reason, let retryAt, let countsAsFailure, let pausesLane):
            if countsAsFailure {
                lane.record.consecutiveFailures += 1
                lane.record.lastError = reason
                if lane.isParked {
                    if delivery.isProbe { try probeFailed(&lane, name: delivery.lane, store: store, now: now) }
                } else if lane.record.consecutiveFailures >= configuration.breakerThreshold {
                    park(&lane, name: delivery.lane, reason: reason, now: now)
                }
            } else {
                try answered(&lane, name: delivery.lane, store: store, now: now)
            }
            if pausesLane, let retryAt { lane.record.pausedUntil = max(lane.record.pausedUntil, retryAt) }
            let giveUpAt = delivery.enqueuedAt + horizon
            if now >= giveUpAt {
                let message = "gave up after \(delivery.attempts) attempts over \(horizonText): \(reason)"
                if try store.fail(
                    id: delivery.id, lane: delivery.lane, key: delivery.orderingKey, status: status, reason: message,
                    now: now, cutoff: cutoff, expiredReason: expiredReason)
                {
                    lane.nextDue = min(lane.nextDue ?? now, now)
                }
                service.log("delivery: \(delivery.activityID) to \(delivery.inbox) \(message)")
                state.failed += 1
            } else {
                let backoff = Backoff.delay(
                    attempts: delivery.attempts, initial: configuration.initialBackoff.milliseconds,
                    maximum: configuration.maxBackoff.milliseconds)
                let at = min(max(now + backoff, retryAt ?? 0), giveUpAt)
                try store.reschedule(id: delivery.id, at: at, status: status, reason: reason)
                lane.nextDue = min(lane.nextDue ?? at, at)
            }

        case .interrupted:
            try store.requeue(id: delivery.id, now: now)
            lane.nextDue = min(lane.nextDue ?? now, now)
        }
        if lane.record != before { try store.saveLane(delivery.lane, lane.record) }
        state.lanes[delivery.lane] = lane
    }

    /// The destination answered (any HTTP status that is not a server error): it is alive.
    private func answered(_ lane: inout Lane, name: String, store: DeliveryStore, now: Int64) throws {
        lane.record.consecutiveFailures = 0
        lane.record.lastError = nil
        guard lane.isParked else { return }
        lane.record.parkedAt = nil
        lane.record.nextProbeAt = nil
        lane.record.probeInterval = nil
        try store.makeDue(lane: name, now: now)
        lane.nextDue = try store.nextDue(lane: name)
        service.log("delivery: \(name) answers again; resuming its deliveries")
    }

    private func park(_ lane: inout Lane, name: String, reason: String, now: Int64) {
        let interval = max(1, configuration.probeInterval.milliseconds)
        lane.record.parkedAt = now
        lane.record.probeInterval = interval
        lane.record.nextProbeAt = now + interval
        service.log(
            "delivery: \(name) parked after \(lane.record.consecutiveFailures) consecutive failures "
                + "(last: \(reason)); probing every \(Self.describe(configuration.probeInterval)) or more")
    }

    private func probeFailed(_ lane: inout Lane, name: String, store: DeliveryStore, now: Int64) throws {
        let cap = max(1, configuration.maxProbeInterval.milliseconds)
        let previous = lane.record.probeInterval ?? max(1, configuration.probeInterval.milliseconds)
        let interval = min(previous > cap / 2 ? cap : previous * 2, cap)
        lane.record.probeInterval = interval
        lane.record.nextProbeAt = now + interval
        // Deliveries of a parked lane are not attempted, so the horizon is enforced here.
        let expired = try store.expire(
            lane: name, now: now, cutoff: now - horizon, reason: "gave up: \(name) did not answer for \(horizonText)")
        if expired > 0 {
            state.failed += expired
            lane.nextDue = try store.nextDue(lane: name)
            service.log("delivery: gave up \(expired) deliveries to \(name), unreachable for \(horizonText)")
        }
    }

    // MARK: Claiming

    private func claim(now: Int64) throws -> [ClaimedDelivery] {
        var free = configuration.maxConcurrentRequests - state.inFlight
        guard free > 0 else { return [] }
        let perLane = max(1, configuration.maxInFlightPerLane)
        var candidates: [(name: String, due: Int64, probe: Bool)] = []
        for (name, lane) in state.lanes {
            guard let due = lane.nextDue else { continue }
            if lane.isParked {
                if !lane.probeInFlight, let probeAt = lane.record.nextProbeAt, probeAt <= now {
                    candidates.append((name, probeAt, true))
                }
            } else if lane.inFlight < perLane, due <= now, lane.record.pausedUntil <= now {
                candidates.append((name, due, false))
            }
        }
        guard !candidates.isEmpty else { return [] }
        // Longest-waiting lanes first, so a full global limit does not starve any lane.
        candidates.sort { $0.due < $1.due }
        let allowed = candidates.map { service.mayDeliver($0.name) }

        let saved = state
        do {
            return try service.database.write { db in
                let store = DeliveryStore(db: db)
                let cutoff = now - horizon
                let expiredReason = "gave up: not delivered within \(horizonText) of being queued"
                var claimed: [ClaimedDelivery] = []
                for (candidate, allowed) in zip(candidates, allowed) {
                    guard var lane = state.lanes[candidate.name] else { continue }
                    if !allowed {
                        let dropped = try store.failPending(lane: candidate.name, reason: "blocked by trust list", now: now)
                        if dropped > 0 {
                            service.log("delivery: dropped \(dropped) deliveries to \(candidate.name): blocked by trust list")
                        }
                        state.failed += dropped
                        lane.nextDue = nil
                        state.lanes[candidate.name] = lane
                        continue
                    }
                    guard free > 0 else { break }
                    let limit = candidate.probe ? 1 : min(perLane - lane.inFlight, free)
                    var (batch, expired) = try store.claim(
                        lane: candidate.name, dueBy: candidate.probe ? Int64.max : now, limit: limit, now: now,
                        cutoff: cutoff, expiredReason: expiredReason)
                    if expired > 0 {
                        state.failed += expired
                        service.log("delivery: gave up \(expired) deliveries to \(candidate.name) after \(horizonText)")
                    }
                    if candidate.probe {
                        for index in batch.indices { batch[index].isProbe = true }
                        lane.probeInFlight = !batch.isEmpty
                    }
                    lane.inFlight += batch.count
                    state.inFlight += batch.count
                    free -= batch.count
                    lane.nextDue = try store.nextDue(lane: candidate.name)
                    state.lanes[candidate.name] = lane
                    claimed += batch
                }
                forgetIdleLanes()
                return claimed
            }
        } catch {
            state = saved
            throw error
        }
    }

    /// Drops lanes with nothing queued, nothing in flight and a healthy breaker.
    private func forgetIdleLanes() {
        let idle = state.lanes.filter { $0.value.nextDue == nil && $0.value.inFlight == 0 && $0.value.record.isDefault }
        for name in idle.keys { state.lanes[name] = nil }
    }

    /// The next time a pass can claim something: a due delivery in a lane with room, or a probe.
    private func nextWake(now: Int64) -> Int64 {
        var wakeAt = min(state.nextFullScan, now + pollInterval)
        // With every slot taken only a finished attempt (which signals) can free one.
        guard state.inFlight < configuration.maxConcurrentRequests else { return wakeAt }
        for lane in state.lanes.values {
            guard let due = lane.nextDue else { continue }
            if lane.isParked {
                if !lane.probeInFlight, let probeAt = lane.record.nextProbeAt { wakeAt = min(wakeAt, probeAt) }
            } else if lane.inFlight < configuration.maxInFlightPerLane {
                wakeAt = min(wakeAt, max(due, lane.record.pausedUntil))
            }
        }
        return wakeAt
    }

    static func describe(_ duration: Duration) -> String {
        let seconds = duration.components.seconds
        if seconds >= 86400, seconds % 86400 == 0 { return "\(seconds / 86400) days" }
        if seconds >= 3600, seconds % 3600 == 0 { return "\(seconds / 3600) hours" }
        if seconds >= 60, seconds % 60 == 0 { return "\(seconds / 60) minutes" }
        if seconds >= 1 { return "\(seconds) s" }
        return "\(duration.milliseconds) ms"
    }
}
