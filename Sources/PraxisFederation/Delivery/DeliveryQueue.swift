import Foundation
import PraxisHTTP
import PraxisSQLite

/// The durable outgoing queue: what callers use to queue deliveries, and what operators and
/// metrics read. A ``DeliveryService`` does the sending.
public enum DeliveryQueue {
    /// Lane name of deliveries whose inbox URL could not be parsed (they are recorded as failed).
    public static let invalidLane = "(invalid inbox URL)"

    /// Queues `activity` for each inbox, on the caller's connection.
    ///
    /// Call it inside the write transaction that creates what the activity announces, so the post
    /// and its delivery commit together or not at all; then call ``DeliveryService/wake()``.
    /// Identical inbox URLs are sent once (pass a node's shared inbox instead of its members'
    /// inboxes when it offers one). The destination lane is the URL's authority (`host[:port]`).
    /// An inbox URL that cannot be parsed is recorded at once as a failed delivery, so one bad
    /// remote address never stops a post from being created. Queuing an activity again to an
    /// inbox where it is still pending does nothing.
    ///
    /// - Returns: the number of deliveries queued.
    /// - Throws: ``DeliveryError`` when the activity has no id, signer or body; `SQLiteError`.
    @discardableResult
    public static func enqueue(
        _ activity: OutgoingActivity, to inboxes: [String], db: Connection, now: Date = Date()
    ) throws -> Int {
        guard !activity.activityID.isEmpty else { throw DeliveryError("an outgoing activity needs an id") }
        guard !activity.signer.isEmpty else {
            throw DeliveryError("outgoing activity \(activity.activityID) names no signing actor")
        }
        guard !activity.body.isEmpty else { throw DeliveryError("outgoing activity \(activity.activityID) has an empty body") }
        let time = now.deliveryMilliseconds
        return try db.transaction {
            try db.run(
                "INSERT INTO delivery_activities (activity_id, signer, body, created_at) VALUES (?, ?, ?, ?) "
                    + "ON CONFLICT (activity_id) DO NOTHING",
                activity.activityID, activity.signer, activity.body, time)
            guard let reference = try db.scalar(
                Int64.self, "SELECT id FROM delivery_activities WHERE activity_id = ?", activity.activityID)
            else { throw DeliveryError("outgoing activity \(activity.activityID) vanished while being queued") }

            var seen = Set<String>()
            var queued = 0
            for inbox in inboxes where seen.insert(inbox).inserted {
                let lane: String
                do {
                    lane = try HTTPClientURL(inbox).authority
                } catch {
                    try db.run(
                        "INSERT INTO deliveries (activity, inbox, lane, ordering_key, state, enqueued_at, next_attempt_at, "
                            + "last_error, finished_at) VALUES (?, ?, ?, ?, 'failed', ?, ?, ?, ?) "
                            + "ON CONFLICT (activity, inbox) DO NOTHING",
                        reference, inbox, invalidLane, activity.orderingKey, time, time,
                        "\(error)", time)
                    continue
                }
                let busy = try db.scalar(
                    Int.self,
                    "SELECT 1 FROM deliveries WHERE lane = ? AND ordering_key = ? "
                        + "AND state IN ('waiting', 'queued', 'inflight') LIMIT 1",
                    lane, activity.orderingKey) != nil
                try db.run(
                    "INSERT INTO deliveries (activity, inbox, lane, ordering_key, state, enqueued_at, next_attempt_at) "
                        + "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (activity, inbox) DO NOTHING",
                    reference, inbox, lane, activity.orderingKey, busy ? "waiting" : "queued", time, time)
                queued += db.changes
            }
            return queued
        }
    }

    /// Per-lane counts and breaker state, read from the database (works whether or not a service
    /// is running on it). Lanes with nothing pending, nothing failed and a healthy breaker are
    /// left out.
    public static func stats(db: Connection, now: Date = Date()) throws -> DeliveryStats {
        var lanes: [String: DeliveryLaneStats] = [:]
        func entry(_ lane: String) -> DeliveryLaneStats { lanes[lane] ?? DeliveryLaneStats(lane: lane) }
        for row in try db.query(
            "SELECT lane, state, count(*) AS n, min(enqueued_at) AS oldest FROM deliveries GROUP BY lane, state")
        {
            let lane: String = try row.get("lane")
            let state: String = try row.get("state")
            let count: Int = try row.get("n")
            var stats = entry(lane)
            switch state {
            case "failed":
                stats.failed += count
            default:
                stats.pending += count
                if state == "inflight" { stats.inFlight += count }
                let oldest = Date(deliveryMilliseconds: try row.get("oldest"))
                if stats.oldestPending.map({ oldest < $0 }) ?? true { stats.oldestPending = oldest }
            }
            lanes[lane] = stats
        }
        for row in try db.query(
            "SELECT lane, consecutive_failures, parked_at, next_probe_at, paused_until, last_error FROM delivery_lanes")
        {
            let lane: String = try row.get("lane")
            var stats = entry(lane)
            stats.consecutiveFailures = try row.get("consecutive_failures")
            stats.parkedSince = try row.optional("parked_at", as: Int64.self).map(Date.init(deliveryMilliseconds:))
            stats.nextProbe = try row.optional("next_probe_at", as: Int64.self).map(Date.init(deliveryMilliseconds:))
            let paused: Int64 = try row.get("paused_until")
            if paused > now.deliveryMilliseconds { stats.pausedUntil = Date(deliveryMilliseconds: paused) }
            stats.lastError = try row.optional("last_error", as: String.self)
            lanes[lane] = stats
        }
        for key in lanes.keys {
            if let oldest = lanes[key]?.oldestPending {
                lanes[key]?.oldestPendingAge = max(0, now.timeIntervalSince(oldest))
            }
        }
        return DeliveryStats(lanes: lanes.values.sorted { $0.lane < $1.lane })
    }

    /// Failed deliveries, newest first, with the reason each was given up.
    public static func failures(db: Connection, limit: Int = 100) throws -> [DeliveryFailure] {
        try db.query(
            """
            SELECT a.activity_id, d.inbox, d.lane, d.attempts, d.last_status, d.last_error, d.finished_at
            FROM deliveries d JOIN delivery_activities a ON a.id = d.activity
            WHERE d.state = 'failed' ORDER BY d.finished_at DESC, d.id DESC LIMIT ?
            """, max(0, limit)
        ).map { row in
            DeliveryFailure(
                activityID: try row.get("activity_id"), inbox: try row.get("inbox"), lane: try row.get("lane"),
                attempts: try row.get("attempts"), lastStatus: try row.optional("last_status", as: Int.self),
                reason: try row.optional("last_error", as: String.self) ?? "unknown",
                failedAt: Date(deliveryMilliseconds: try row.optional("finished_at", as: Int64.self) ?? 0))
        }
    }

    /// Deletes failure records older than `date`, and activity bodies no delivery refers to any more.
    /// - Returns: the number of failure records deleted.
    @discardableResult
    public static func pruneFailures(before date: Date, db: Connection) throws -> Int {
        try db.transaction {
            try db.run("DELETE FROM deliveries WHERE state = 'failed' AND finished_at < ?", date.deliveryMilliseconds)
            let deleted = db.changes
            try db.run(
                "DELETE FROM delivery_activities WHERE NOT EXISTS "
                    + "(SELECT 1 FROM deliveries WHERE deliveries.activity = delivery_activities.id)")
            return deleted
        }
    }
}

/// The state of the outgoing queue, for metrics and tests.
public struct DeliveryStats: Sendable, Equatable {
    /// One entry per destination with pending or failed deliveries or a breaker state, by name.
    public var lanes: [DeliveryLaneStats]
    /// Set by ``DeliveryService/stats()``: deliveries acknowledged and given up since it started.
    public var deliveredSinceStart = 0
    public var failedSinceStart = 0

    public init(lanes: [DeliveryLaneStats]) {
        self.lanes = lanes
    }

    /// Deliveries not finished yet (waiting for an earlier one, queued, or in flight).
    public var pending: Int { lanes.reduce(0) { $0 + $1.pending } }
    public var inFlight: Int { lanes.reduce(0) { $0 + $1.inFlight } }
    public var failed: Int { lanes.reduce(0) { $0 + $1.failed } }
    /// Lanes whose circuit breaker is open.
    public var parkedLanes: [String] { lanes.filter(\.isParked).map(\.lane) }

    public func lane(_ name: String) -> DeliveryLaneStats? { lanes.first { $0.lane == name } }
}

/// The state of one destination lane.
public struct DeliveryLaneStats: Sendable, Equatable {
    /// The destination node's authority (`host[:port]`).
    public var lane: String
    /// Deliveries not finished yet, in flight included.
    public var pending = 0
    public var inFlight = 0
    /// Failure records kept for this lane.
    public var failed = 0
    /// When the oldest pending delivery was queued, and how long ago (seconds).
    public var oldestPending: Date?
    public var oldestPendingAge: TimeInterval?
    /// Transport failures and 5xx answers in a row.
    public var consecutiveFailures = 0
    /// Set while the circuit breaker holds the lane; then only probes are sent.
    public var parkedSince: Date?
    public var nextProbe: Date?
    /// Set while the destination asked us (429 with Retry-After) to hold back.
    public var pausedUntil: Date?
    /// The last transient failure, for operators.
    public var lastError: String?

    public init(lane: String) {
        self.lane = lane
    }

    public var isParked: Bool { parkedSince != nil }
}

/// A delivery given up, as recorded for the operator.
public struct DeliveryFailure: Sendable, Equatable {
    public var activityID: String
    public var inbox: String
    public var lane: String
    public var attempts: Int
    /// The HTTP status of the last answer, when there was one.
    public var lastStatus: Int?
    public var reason: String
    public var failedAt: Date
}
