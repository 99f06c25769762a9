import Synchronization
import Testing

@testable import PraxisHTTP

/// Token buckets: bursts, refill, `Retry-After`, checks that take nothing, bounded memory.
struct RateLimiterTests {
    /// A clock the test moves by hand.
    final class ManualClock: Sendable {
        let now = Mutex(1_000.0)
        func advance(_ seconds: Double) { now.withLock { $0 += seconds } }
        var read: @Sendable () -> Double { { [self] in now.withLock { $0 } } }
    }

    @Test func aBurstIsAllowedThenRefusedWithRetryAfterUntilTheBucketRefills() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(perSecond: 2, burst: 5), clock: clock.read)
        for _ in 0..<5 { #expect(limiter.take("a.example") == .allowed) }
        #expect(limiter.take("a.example") == .refused(retryAfter: 1))
        // Another key has its own bucket.
        #expect(limiter.take("b.example") == .allowed)
        clock.advance(0.5)
        #expect(limiter.take("a.example") == .allowed)
        #expect(limiter.take("a.example") == .refused(retryAfter: 1))
        // Never more than the burst, however long the sender was quiet.
        clock.advance(3_600)
        for _ in 0..<5 { #expect(limiter.take("a.example") == .allowed) }
        #expect(!limiter.take("a.example").isAllowed)
    }

    @Test func retryAfterSaysWhenTheNextTokenIsDue() {
        let clock = ManualClock()
        let limiter = RateLimiter(.perMinute(5), clock: clock.read)
        for _ in 0..<5 { #expect(limiter.take("ip name") == .allowed) }
        #expect(limiter.take("ip name") == .refused(retryAfter: 12))
        clock.advance(11)
        #expect(limiter.take("ip name") == .refused(retryAfter: 1))
        clock.advance(1)
        #expect(limiter.take("ip name") == .allowed)
        #expect(limiter.rule.description == "5/min, burst 5")
    }

    @Test func aCheckTakesNothing() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(perSecond: 1, burst: 2), clock: clock.read)
        for _ in 0..<10 { #expect(limiter.check("victim.example") == .allowed) }
        #expect(limiter.keyCount == 0)
        #expect(limiter.take("victim.example") == .allowed)
        #expect(limiter.take("victim.example") == .allowed)
        #expect(limiter.check("victim.example") == .refused(retryAfter: 1))
    }

    @Test func memoryIsBoundedAndRefilledBucketsGoFirst() {
        let clock = ManualClock()
        let limiter = RateLimiter(.init(perSecond: 1, burst: 3), maxKeys: 100, clock: clock.read)
        // A draining bucket that must survive the eviction below.
        for _ in 0..<3 { _ = limiter.take("busy") }
        clock.advance(0.1)
        for index in 0..<99 { _ = limiter.take("idle \(index)") }
        #expect(limiter.keyCount == 100)
        clock.advance(2.5)
        // The idle buckets have refilled by now (2 s at 1/s on top of 2 tokens), "busy" has not.
        _ = limiter.take("newcomer")
        #expect(limiter.keyCount <= 100)
        #expect(limiter.take("busy") == .allowed)
        #expect(limiter.take("busy") == .allowed)
        #expect(!limiter.take("busy").isAllowed)
        // Thousands of distinct keys never grow the table beyond its bound.
        for index in 0..<5_000 { _ = limiter.take("flood \(index)") }
        #expect(limiter.keyCount <= 100)
    }

    @Test func tooManyRequestsCarriesRetryAfterAndAMessage() {
        let response = HTTPResponse.tooManyRequests("slow down; retry after 3 s", retryAfter: 3)
        #expect(response.status == .tooManyRequests)
        #expect(response.headers["Retry-After"] == "3")
        #expect(String(decoding: response.body, as: UTF8.self).contains("slow down"))
    }

    @Test func theClientAddressIsTheProxysClientOnlyBehindALoopbackProxy() {
        var request = HTTPRequest(method: .get, target: "/", headers: ["X-Forwarded-For": "203.0.113.9, 198.51.100.7"],
                                  remoteAddress: "127.0.0.1")
        #expect(request.clientAddress == "198.51.100.7")
        request.remoteAddress = "192.0.2.1"
        #expect(request.clientAddress == "192.0.2.1")
        request = HTTPRequest(method: .get, target: "/", headers: ["X-Real-IP": "203.0.113.5"], remoteAddress: "::1")
        #expect(request.clientAddress == "203.0.113.5")
    }
}
