import Foundation
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Token buckets keyed by a string (a remote node's domain, a client address), in memory.
///
/// Each key has a bucket of at most `burst` tokens that refills at `perSecond` tokens a second; a
/// request takes one. A bucket starts full, so a quiet sender gets its whole burst at once and a
/// steady one `perSecond` on average. Refusals say when the next token is due, for `Retry-After`.
///
/// Memory is bounded: at most `maxKeys` buckets are kept. When full, buckets that refilled
/// completely are dropped first (forgetting them changes nothing: a new bucket starts full);
/// only if every bucket is still draining are the longest-idle ones dropped.
public final class RateLimiter: Sendable {
    /// A bucket's refill rate and size.
    public struct Rule: Sendable, Equatable, CustomStringConvertible {
        public var perSecond: Double
        public var burst: Double

        public init(perSecond: Double, burst: Double) {
            self.perSecond = perSecond
            self.burst = burst
        }

        /// `n` requests a minute, all of them allowed at once.
        public static func perMinute(_ n: Double) -> Rule { Rule(perSecond: n / 60, burst: n) }

        public var description: String {
            perSecond >= 1 ? "\(Self.format(perSecond))/s, burst \(Self.format(burst))"
                : "\(Self.format(perSecond * 60))/min, burst \(Self.format(burst))"
        }

        static func format(_ value: Double) -> String {
            value == value.rounded() ? String(Int(value)) : String(format: "%.2f", value)
        }
    }

    /// The answer for one request.
    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; a token is due in `retryAfter` whole seconds (at least 1).
        case refused(retryAfter: Int)

        public var isAllowed: Bool { self == .allowed }
    }

    private struct Bucket {
        var tokens: Double
        var updated: Double
    }

    public let rule: Rule
    public let maxKeys: Int
    private let clock: @Sendable () -> Double
    private let buckets = Mutex<[String: Bucket]>([:])

    /// - Parameters:
    ///   - maxKeys: most buckets kept (see the type's discussion).
    ///   - clock: seconds on a monotonic clock; tests pass their own.
    public init(_ rule: Rule, maxKeys: Int = 50_000, clock: @escaping @Sendable () -> Double = RateLimiter.monotonicSeconds) {
        self.rule = rule
        self.maxKeys = max(1, maxKeys)
        self.clock = clock
    }

    /// Takes `cost` tokens from `key`'s bucket when it holds them.
    public func take(_ key: String, cost: Double = 1) -> Decision {
        decide(key, cost: cost, consume: true)
    }

    /// Whether `take` would succeed now, without taking anything: a check before work that may
    /// not be attributable to `key` yet (an unverified signature naming someone else's key).
    public func check(_ key: String, cost: Double = 1) -> Decision {
        decide(key, cost: cost, consume: false)
    }

    /// Number of buckets held now.
    public var keyCount: Int { buckets.withLock { $0.count } }

    private func decide(_ key: String, cost: Double, consume: Bool) -> Decision {
        let now = clock()
        let rule = rule
        let maxKeys = maxKeys
        return buckets.withLock { buckets -> Decision in
            // One hash of the key per decision (this runs several times for every inbox request).
            let index = buckets.index(forKey: key)
            var bucket = index.map { buckets.values[$0] } ?? Bucket(tokens: rule.burst, updated: now)
            bucket.tokens = min(rule.burst, bucket.tokens + max(0, now - bucket.updated) * rule.perSecond)
            bucket.updated = now
            guard bucket.tokens >= cost else {
                if let index { buckets.values[index] = bucket }
                let missing = cost - bucket.tokens
                // The small allowance keeps a wait of exactly n seconds, computed as n plus a
                // rounding error, from being announced as n + 1.
                let wait = rule.perSecond > 0 ? (missing / rule.perSecond - 1e-6).rounded(.up) : 3_600
                return .refused(retryAfter: Int(max(1, min(wait, 86_400))))
            }
            guard consume else { return .allowed }
            bucket.tokens -= cost
            if let index {
                buckets.values[index] = bucket
                return .allowed
            }
            if buckets.count >= maxKeys { Self.evict(&buckets, now: now, rule: rule, keep: maxKeys) }
            buckets[key] = bucket
            return .allowed
        }
    }

    /// Makes room for at least one bucket: drops every bucket that has refilled by now, then, if
    /// that freed nothing, the longest-idle quarter.
    private static func evict(_ buckets: inout [String: Bucket], now: Double, rule: Rule, keep: Int) {
        let full = buckets.filter { $0.value.tokens + (now - $0.value.updated) * rule.perSecond >= rule.burst }
        for key in full.keys { buckets[key] = nil }
        if buckets.count < keep { return }
        let idle = buckets.sorted { $0.value.updated < $1.value.updated }.prefix(max(1, keep / 4))
        for (key, _) in idle { buckets[key] = nil }
    }

    /// Seconds since an arbitrary point, from `CLOCK_MONOTONIC` (wall-clock changes do not refill).
    public static func monotonicSeconds() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }
}

extension HTTPResponse {
    /// `429 Too Many Requests` with `Retry-After` and a plain-text message saying what to do.
    public static func tooManyRequests(_ message: String, retryAfter: Int) -> HTTPResponse {
        var response = HTTPResponse.error(.tooManyRequests, message)
        response.headers["Retry-After"] = String(retryAfter)
        return response
    }
}

extension HTTPRequest {
    /// The address per-client limits are keyed by: the peer address, or, when the peer is a
    /// reverse proxy on this host (loopback), the client it names in the last `X-Forwarded-For`
    /// entry (the one the proxy appended) or `X-Real-IP`. Only a local process can set those
    /// headers on a loopback connection, so a remote client cannot choose its own key.
    public var clientAddress: String {
        let peer = remoteAddress
        guard peer == "127.0.0.1" || peer == "::1" || peer.hasPrefix("::ffff:127.") else { return peer }
        if let forwarded = headers["X-Forwarded-For"],
            let last = forwarded.split(separator: ",").last?.trimmingCharacters(in: .whitespaces), !last.isEmpty
        {
            return String(last.prefix(64))
        }
        if let real = headers["X-Real-IP"]?.trimmingCharacters(in: .whitespaces), !real.isEmpty {
            return String(real.prefix(64))
        }
        return peer
    }
}
