import Foundation
import PraxisSQLite

/// Failed sign-ins per account name, and the lock-outs they cause (table `sign_in_failures`).
///
/// `failures` failed attempts within `window` seconds lock the name for `lockout` seconds; each
/// further lock-out doubles that, up to `maxLockout`. A success clears the row. Names without an
/// account are counted alike, so a lock-out never tells whether an account exists.
public struct SignInLockoutRepository {
    /// The thresholds, from ``AbuseLimits``.
    public struct Policy: Sendable, Equatable {
        public var failures: Int
        public var window: TimeInterval
        public var lockout: TimeInterval
        public var maxLockout: TimeInterval

        public init(failures: Int, window: TimeInterval, lockout: TimeInterval, maxLockout: TimeInterval) {
            self.failures = failures
            self.window = window
            self.lockout = lockout
            self.maxLockout = maxLockout
        }

        public init(_ limits: AbuseLimits) {
            self.init(failures: limits.signInFailures, window: limits.signInFailureWindow, lockout: limits.lockout,
                      maxLockout: limits.maxLockout)
        }

        /// The length of lock-out number `n` (1-based): doubling, capped.
        func duration(ofLockout n: Int) -> TimeInterval {
            min(maxLockout, lockout * pow(2, Double(min(max(0, n - 1), 30))))
        }
    }

    /// A lock-out is forgotten this long after it ended, so the doubling starts again.
    public static let lockoutMemory: TimeInterval = 86_400

    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// When `username` is locked out at `now`, the time the lock-out ends.
    public func lockedUntil(_ username: String, now: Date = Date()) throws -> Date? {
        guard let until = try db.scalar(Int64.self, "SELECT locked_until FROM sign_in_failures WHERE username = ?", username),
            until > now.unixSeconds
        else { return nil }
        return Date(unixSeconds: until)
    }

    /// Counts one failed sign-in of `username`.
    /// - Returns: the end of the lock-out this failure started, if it started one.
    @discardableResult
    public func recordFailure(_ username: String, policy: Policy, now: Date = Date()) throws -> Date? {
        let t = now.unixSeconds
        let row = try db.queryOne("SELECT * FROM sign_in_failures WHERE username = ?", username)
        var failures = 0
        var windowStart = t
        var lockouts = 0
        if let row {
            let start: Int64 = try row.get("window_started_at")
            let until: Int64? = try row.optional("locked_until")
            lockouts = try row.get("lockouts")
            if Double(t - start) < policy.window {
                failures = try row.get("failures")
                windowStart = start
            }
            if let until, Double(t - until) > Self.lockoutMemory { lockouts = 0 }
        }
        failures += 1
        var lockedUntil: Int64? = nil
        if failures >= policy.failures {
            lockouts += 1
            lockedUntil = t + Int64(policy.duration(ofLockout: lockouts).rounded(.up))
            failures = 0
            windowStart = t
        }
        try db.run(
            """
            INSERT INTO sign_in_failures (username, failures, window_started_at, locked_until, lockouts, updated_at)
            VALUES (?, ?, ?, ?, ?, ?)
            ON CONFLICT (username) DO UPDATE SET failures = excluded.failures,
                window_started_at = excluded.window_started_at,
                locked_until = coalesce(excluded.locked_until, sign_in_failures.locked_until),
                lockouts = excluded.lockouts, updated_at = excluded.updated_at
            """,
            username, failures, windowStart, lockedUntil, lockouts, t)
        return lockedUntil.map { Date(unixSeconds: $0) }
    }

    /// Clears the record of `username` after a successful sign-in.
    public func recordSuccess(_ username: String) throws {
        try db.run("DELETE FROM sign_in_failures WHERE username = ?", username)
    }

    /// Forgets rows untouched for a day after their last lock-out ended (keeps the table small
    /// when someone tries many names).
    public func prune(now: Date = Date()) throws {
        let cutoff = now.unixSeconds - Int64(Self.lockoutMemory)
        try db.run(
            "DELETE FROM sign_in_failures WHERE updated_at < ? AND coalesce(locked_until, 0) < ?", cutoff, cutoff)
    }
}
