import Foundation
@testable import PraxisStorage
import Testing

@testable import PraxisServer

/// One build per answer at a time (``ReadCache/claimBuild(_:)``): requests that find the same
/// answer being built wait for it instead of building it again.
@Suite struct ReadCacheBuildTests {
    let stamp = ReadStamp(scopes: ["*"], values: [0])

    @Test func theFirstClaimBuildsTheOthersWait() async throws {
        let cache = ReadCache(capacityBytes: 1 << 20)
        #expect(cache.claimBuild("a"))
        #expect(!cache.claimBuild("a"), "a second request for the same answer does not build it")
        #expect(cache.claimBuild("b"), "other answers build independently")

        let woken = Counter()
        let waiters = (0..<8).map { _ in
            Task {
                await cache.waitForBuild("a")
                await woken.add()
                return cache.lookup("a")?.body
            }
        }
        // Give the waiters time to park, then check that none returned early.
        try await Task.sleep(for: .milliseconds(50))
        #expect(await woken.value == 0)

        cache.store("a", body: Array("answer".utf8), stamp: stamp)
        cache.finishBuild("a")
        for waiter in waiters { #expect(await waiter.value == Array("answer".utf8)) }
        #expect(await woken.value == 8)

        // Finished: the next miss claims the build again; waiting for a key nobody builds returns at once.
        #expect(cache.claimBuild("a"))
        cache.finishBuild("a")
        await cache.waitForBuild("a")
        await cache.waitForBuild("never-built")
        cache.finishBuild("b")
    }

    @Test func aFailedBuildStillReleasesItsWaiters() async throws {
        let cache = ReadCache(capacityBytes: 1 << 20)
        #expect(cache.claimBuild("k"))
        let waiter = Task { await cache.waitForBuild("k"); return cache.lookup("k") == nil }
        try await Task.sleep(for: .milliseconds(20))
        cache.finishBuild("k")  // nothing kept, as after a 404
        #expect(await waiter.value, "the waiter wakes and finds nothing, so it builds the answer itself")
    }

    actor Counter {
        var value = 0
        func add() { value += 1 }
    }
}
