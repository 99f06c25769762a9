import PraxisSQLite

/// A delivery taken from the queue for one attempt.
struct ClaimedDelivery: Sendable {
    var id: Int64
    /// Row id of the activity body (`delivery_activities.id`).
    var activity: Int64
    var lane: String
    var inbox: String
    var orderingKey: String
    /// Attempts so far, this one included.
    var attempts: Int
    var enqueuedAt: Int64
    var activityID: String
    var signer: String
    var body: [UInt8]
    /// Sent while the lane is parked, to find out whether the destination is back.
    var isProbe = false
}

/// Circuit-breaker and pause state of one lane, as stored in `delivery_lanes` (times in ms).
struct LaneRecord: Sendable, Equatable {
    var consecutiveFailures = 0
    var parkedAt: Int64?
    var nextProbeAt: Int64?
    var probeInterval: Int64?
    var pausedUntil: Int64 = 0
    var lastError: String?

    /// A healthy lane needs no row.
    var isDefault: Bool { self == LaneRecord() }
}

/// The delivery queue's SQL, on one connection inside the caller's transaction. Every method
/// keeps the invariant that each (lane, ordering key) has at most one row that is `queued` or
/// `inflight`, and that it is the oldest unfinished one: the rest are `waiting`.
struct DeliveryStore {
    let db: Connection

    /// Rows left `inflight` by a process that stopped without recording their outcome.
    func resetInflight() throws -> Int {
        try db.run("UPDATE deliveries SET state = 'queued' WHERE state = 'inflight'")
        return db.changes
    }

    func loadLanes() throws -> [String: LaneRecord] {
        var lanes: [String: LaneRecord] = [:]
        for row in try db.query(
            "SELECT lane, consecutive_failures, parked_at, next_probe_at, probe_interval, paused_until, last_error "
                + "FROM delivery_lanes")
        {
            lanes[try row.get("lane")] = LaneRecord(
                consecutiveFailures: try row.get("consecutive_failures"),
                parkedAt: try row.optional("parked_at"), nextProbeAt: try row.optional("next_probe_at"),
                probeInterval: try row.optional("probe_interval"), pausedUntil: try row.get("paused_until"),
                lastError: try row.optional("last_error"))
        }
        return lanes
    }

    func saveLane(_ lane: String, _ record: LaneRecord) throws {
        if record.isDefault {
            try db.run("DELETE FROM delivery_lanes WHERE lane = ?", lane)
            return
        }
        try db.run(
            """
            INSERT INTO delivery_lanes (lane, consecutive_failures, parked_at, next_probe_at, probe_interval,
                                        paused_until, last_error)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (lane) DO UPDATE SET consecutive_failures = excluded.consecutive_failures,
                parked_at = excluded.parked_at, next_probe_at = excluded.next_probe_at,
                probe_interval = excluded.probe_interval, paused_until = excluded.paused_until,
                last_error = excluded.last_error
            """,
            lane, record.consecutiveFailures, record.parkedAt, record.nextProbeAt, record.probeInterval,
            record.pausedUntil, record.lastError)
    }

    /// The highest delivery id so far (ids are never reused).
    func highWater() throws -> Int64 {
        try db.scalar(Int64.self, "SELECT max(id) FROM deliveries") ?? 0
    }

    /// Earliest due time of queued rows per lane; only rows with an id above `after` when given.
    func dueByLane(after: Int64?) throws -> [String: Int64] {
        var due: [String: Int64] = [:]
        let rows: [Row]
        if let after {
            // NOT INDEXED keeps SQLite on the rowid range (the new rows only); otherwise it may
            // prefer scanning the whole partial index of queued rows.
            rows = try db.query(
                "SELECT lane, min(next_attempt_at) AS due FROM deliveries NOT INDEXED WHERE id > ? AND state = 'queued' "
                    + "GROUP BY lane",
                after)
        } else {
            rows = try db.query(
                "SELECT lane, min(next_attempt_at) AS due FROM deliveries WHERE state = 'queued' GROUP BY lane")
        }
        for row in rows {
            let lane: String = try row.get("lane")
            due[lane] = try row.get("due", as: Int64.self)
        }
        return due
    }

    func nextDue(lane: String) throws -> Int64? {
        try db.scalar(Int64.self, "SELECT min(next_attempt_at) FROM deliveries WHERE lane = ? AND state = 'queued'", lane)
    }

    /// Marks up to `limit` queued rows of `lane` due by `dueBy` as in flight and returns them,
    /// earliest due first. Rows queued at or before `cutoff` are failed instead (the horizon
    /// passed), keeping the last error of earlier attempts in the reason.
    func claim(lane: String, dueBy: Int64, limit: Int, now: Int64, cutoff: Int64, expiredReason: String) throws
        -> (claimed: [ClaimedDelivery], expired: Int)
    {
        let rows = try db.query(
            """
            SELECT d.id, d.activity, d.inbox, d.ordering_key, d.attempts, d.enqueued_at, d.last_error,
                   a.activity_id, a.signer, a.body
            FROM deliveries d JOIN delivery_activities a ON a.id = d.activity
            WHERE d.lane = ? AND d.state = 'queued' AND d.next_attempt_at <= ?
            ORDER BY d.next_attempt_at, d.id LIMIT ?
            """, lane, dueBy, limit)
        var claimed: [ClaimedDelivery] = []
        var expired = 0
        for row in rows {
            let id: Int64 = try row.get("id")
            let key: String = try row.get("ordering_key")
            let enqueuedAt: Int64 = try row.get("enqueued_at")
            if enqueuedAt <= cutoff {
                // The last retry is scheduled at the horizon, so this is where most retried
                // deliveries end: the operator needs the error that kept them from arriving.
                let attempts: Int = try row.get("attempts")
                let reason = try row.optional("last_error", as: String.self).map {
                    "\(expiredReason) (\(attempts) attempt\(attempts == 1 ? "" : "s"); last error: \($0))"
                } ?? expiredReason
                try fail(
                    id: id, lane: lane, key: key, status: nil, reason: reason, now: now, cutoff: cutoff,
                    expiredReason: expiredReason)
                expired += 1
                continue
            }
            try db.run("UPDATE deliveries SET state = 'inflight', attempts = attempts + 1 WHERE id = ?", id)
            claimed.append(
                ClaimedDelivery(
                    id: id, activity: try row.get("activity"), lane: lane, inbox: try row.get("inbox"), orderingKey: key,
                    attempts: try row.get("attempts") + 1, enqueuedAt: enqueuedAt, activityID: try row.get("activity_id"),
                    signer: try row.get("signer"), body: try row.get("body")))
        }
        return (claimed, expired)
    }

    /// Removes an acknowledged delivery (and the body when no other delivery needs it), then
    /// releases the next activity with the same ordering key. Returns whether one was released.
    @discardableResult
    func delivered(_ delivery: ClaimedDelivery, now: Int64, cutoff: Int64, expiredReason: String) throws -> Bool {
        try db.run("DELETE FROM deliveries WHERE id = ?", delivery.id)
        try db.run(
            "DELETE FROM delivery_activities WHERE id = ? AND NOT EXISTS (SELECT 1 FROM deliveries WHERE activity = ?)",
            delivery.activity, delivery.activity)
        return try promote(lane: delivery.lane, key: delivery.orderingKey, now: now, cutoff: cutoff, expiredReason: expiredReason)
    }

    /// Records a permanent failure, then releases the next activity with the same ordering key.
    @discardableResult
    func fail(
        id: Int64, lane: String, key: String, status: Int?, reason: String, now: Int64, cutoff: Int64,
        expiredReason: String? = nil
    ) throws -> Bool {
        try db.run(
            "UPDATE deliveries SET state = 'failed', last_status = coalesce(?, last_status), last_error = ?, finished_at = ? "
                + "WHERE id = ?",
            status, reason, now, id)
        return try promote(lane: lane, key: key, now: now, cutoff: cutoff, expiredReason: expiredReason ?? reason)
    }

    /// Queues a delivery again for `at`.
    func reschedule(id: Int64, at: Int64, status: Int?, reason: String) throws {
        try db.run(
            "UPDATE deliveries SET state = 'queued', next_attempt_at = ?, last_status = ?, last_error = ? WHERE id = ?",
            at, status, reason, id)
    }

    /// Puts back a delivery whose attempt was cut short by a stop; it does not count as an attempt.
    func requeue(id: Int64, now: Int64) throws {
        try db.run(
            "UPDATE deliveries SET state = 'queued', next_attempt_at = ?, attempts = max(0, attempts - 1) WHERE id = ?",
            now, id)
    }

    /// Fails every delivery of `lane` not yet in flight (the destination is now blocked).
    func failPending(lane: String, reason: String, now: Int64) throws -> Int {
        try db.run(
            "UPDATE deliveries SET state = 'failed', last_error = ?, finished_at = ? "
                + "WHERE lane = ? AND state IN ('waiting', 'queued')",
            reason, now, lane)
        return db.changes
    }

    /// Fails the queued deliveries of `lane` queued at or before `cutoff`, releasing their
    /// successors (for parked lanes, whose deliveries are not attempted until a probe succeeds).
    func expire(lane: String, now: Int64, cutoff: Int64, reason: String) throws -> Int {
        let rows = try db.query(
            "SELECT id, ordering_key FROM deliveries WHERE lane = ? AND state = 'queued' AND enqueued_at <= ?", lane, cutoff)
        for row in rows {
            try fail(id: try row.get("id"), lane: lane, key: try row.get("ordering_key"), status: nil, reason: reason,
                     now: now, cutoff: cutoff)
        }
        return rows.count
    }

    /// Makes every queued delivery of `lane` due now (the lane resumed after being parked).
    func makeDue(lane: String, now: Int64) throws {
        try db.run(
            "UPDATE deliveries SET next_attempt_at = ? WHERE lane = ? AND state = 'queued' AND next_attempt_at > ?",
            now, lane, now)
    }

    /// Releases the oldest unfinished delivery of (lane, key) when it is waiting; waiting rows
    /// already past the horizon (queued at or before `cutoff`) are failed on the way.
    private func promote(lane: String, key: String, now: Int64, cutoff: Int64, expiredReason: String) throws -> Bool {
        while let head = try db.queryOne(
            "SELECT id, state, enqueued_at FROM deliveries WHERE lane = ? AND ordering_key = ? "
                + "AND state IN ('waiting', 'queued', 'inflight') ORDER BY id LIMIT 1",
            lane, key)
        {
            guard try head.get("state", as: String.self) == "waiting" else { return false }
            let id: Int64 = try head.get("id")
            if try head.get("enqueued_at", as: Int64.self) <= cutoff {
                try db.run(
                    "UPDATE deliveries SET state = 'failed', last_error = ?, finished_at = ? WHERE id = ?",
                    expiredReason, now, id)
                continue
            }
            try db.run("UPDATE deliveries SET state = 'queued', next_attempt_at = ? WHERE id = ?", now, id)
            return true
        }
        return false
    }
}
