#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Monotonic time in nanoseconds, for deadlines and durations (immune to wall-clock changes).
@inline(__always)
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) &* 1_000_000_000 &+ UInt64(ts.tv_nsec)
}

extension Duration {
    /// The duration in whole nanoseconds, clamped to zero for negative values.
    var nanoseconds: UInt64 {
        let (seconds, attoseconds) = components
        if seconds < 0 { return 0 }
        return UInt64(seconds) &* 1_000_000_000 &+ UInt64(attoseconds / 1_000_000_000)
    }
}

/// The `Date` header value (RFC 9110 IMF-fixdate), formatted at most once per second per loop so
/// no request pays for date formatting.
struct DateHeaderCache {
    private var second: time_t = -1
    private(set) var bytes: [UInt8] = []

    /// Refreshes the cached value if the wall-clock second has changed.
    mutating func refresh() {
        let now = time(nil)
        if now == second { return }
        second = now
        bytes = Self.format(now)
    }

    static func format(_ t: time_t) -> [UInt8] {
        var t = t
        var tm = tm()
        gmtime_r(&t, &tm)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        var out: [UInt8] = []
        out.reserveCapacity(29)
        out.append(contentsOf: days[Int(tm.tm_wday) % 7].utf8)
        out.append(contentsOf: ", ".utf8)
        appendTwoDigits(Int(tm.tm_mday), to: &out)
        out.append(ASCII.sp)
        out.append(contentsOf: months[Int(tm.tm_mon) % 12].utf8)
        out.append(ASCII.sp)
        out.append(contentsOf: String(Int(tm.tm_year) + 1900).utf8)
        out.append(ASCII.sp)
        appendTwoDigits(Int(tm.tm_hour), to: &out)
        out.append(ASCII.colon)
        appendTwoDigits(Int(tm.tm_min), to: &out)
        out.append(ASCII.colon)
        appendTwoDigits(Int(tm.tm_sec), to: &out)
        out.append(contentsOf: " GMT".utf8)
        return out
    }

    private static func appendTwoDigits(_ n: Int, to out: inout [UInt8]) {
        out.append(UInt8(48 + (n / 10) % 10))
        out.append(UInt8(48 + n % 10))
    }
}

/// A fast generator for request ids: unique and unguessable enough to correlate logs, seeded
/// from the system generator once per loop (the ids are not secrets, so no syscall per request).
struct RequestIDGenerator {
    private var state: (UInt64, UInt64, UInt64, UInt64)

    init() {
        var system = SystemRandomNumberGenerator()
        state = (system.next(), system.next(), system.next(), system.next() | 1)
    }

    /// xoshiro256** (Blackman and Vigna).
    mutating func next() -> UInt64 {
        let result = rotl(state.1 &* 5, 7) &* 9
        let t = state.1 << 17
        state.2 ^= state.0
        state.3 ^= state.1
        state.1 ^= state.2
        state.0 ^= state.3
        state.2 ^= t
        state.3 = rotl(state.3, 45)
        return result
    }

    private func rotl(_ x: UInt64, _ k: UInt64) -> UInt64 { (x << k) | (x >> (64 - k)) }

    /// 32 lowercase hex digits (128 bits).
    mutating func nextID() -> String {
        let a = next()
        let b = next()
        return String(unsafeUninitializedCapacity: 32) { buffer in
            let digits: StaticString = "0123456789abcdef"
            let d = digits.utf8Start
            for i in 0..<16 {
                buffer[i] = d[Int((a >> UInt64(60 - 4 * i)) & 15)]
                buffer[16 + i] = d[Int((b >> UInt64(60 - 4 * i)) & 15)]
            }
            return 32
        }
    }
}
