import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisSQLite
import PraxisTestSupport
import Synchronization
import Testing

/// The delivery service against real loopback inboxes. Serialized: the timings would be noisy
/// with other suites' servers competing for two cores.
@Suite(.serialized)
struct DeliveryServiceTests {
    @Test func deliversOnceToEachDistinctInboxSigned() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox()
        let service = fixture.service()
        try service.start()
        let queued = try fixture.enqueue(
            "https://a.example/activities/1", signer: "alice",
            to: [inbox.url("/inbox"), inbox.url("/users/bob/inbox"), inbox.url("/inbox")])
        #expect(queued == 2)
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()

        let requests = inbox.requests
        #expect(requests.map(\.path).sorted() == ["/inbox", "/users/bob/inbox"])
        #expect(requests.allSatisfy { $0.body == "https://a.example/activities/1" })
        #expect(requests.allSatisfy { $0.signedBy == "alice" && $0.contentType == "application/activity+json" })
        #expect(fixture.signer.signers == ["alice", "alice"])
        #expect(try fixture.states().isEmpty)
        let stats = try service.stats()
        #expect(stats.deliveredSinceStart == 2 && stats.pending == 0 && stats.failed == 0)
    }

    @Test func keepsOrderPerKeyWithManyKeysInFlight() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, index in
            // Varying answer times would reorder anything not held back by the ordering key.
            try? await Task.sleep(for: .milliseconds(UInt64((index * 7) % 5)))
            return HTTPResponse(status: .accepted)
        }
        let service = fixture.service()
        try service.start()
        let keys = 12
        let perKey = 8
        try await fixture.database.write { db in
            for round in 0..<perKey {
                for key in 0..<keys {
                    let activity = OutgoingActivity(
                        activityID: "k\(key)-\(round)", orderingKey: "object-\(key)", body: Array("k\(key)-\(round)".utf8),
                        signer: "alice")
                    try DeliveryQueue.enqueue(activity, to: [inbox.url("/inbox")], db: db)
                }
            }
        }
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(5)))
        await service.stop()
        await inbox.stop()

        let bodies = inbox.bodies
        #expect(bodies.count == keys * perKey)
        for key in 0..<keys {
            let rounds = bodies.filter { $0.hasPrefix("k\(key)-") }.compactMap { Int($0.split(separator: "-")[1]) }
            #expect(rounds == Array(0..<perKey), "object-\(key) arrived as \(rounds)")
        }
        #expect(inbox.maxConcurrent > 1, "different keys should be in flight together")
    }

    @Test func retriesServerErrorsWithBackoff() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, index in
            index < 2 ? HTTPResponse.error(.internalServerError, "try later") : HTTPResponse(status: .accepted)
        }
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()

        let times = inbox.requests.map(\.at)
        #expect(times.count == 3)
        if times.count == 3 {
            // Backoff 40 ms then 80 ms, each drawn between half and all of it.
            #expect(times[1] - times[0] >= .milliseconds(18))
            #expect(times[2] - times[1] >= .milliseconds(38))
        }
        #expect(try fixture.failures().isEmpty)
    }

    @Test func honoursRetryAfterOn429() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, index in
            index == 0
                ? HTTPResponse(status: .tooManyRequests, headers: ["Retry-After": "1"]) : HTTPResponse(status: .accepted)
        }
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        service.wake()
        // While the lane is paused a second activity waits too.
        try await Task.sleep(for: .milliseconds(100))
        try fixture.enqueue("a2", to: [inbox.url("/inbox")])
        service.wake()
        let paused = try fixture.stats().lane(inbox.authority)?.pausedUntil
        #expect(paused != nil)
        #expect(await service.waitUntilIdle(timeout: .seconds(4)))
        await service.stop()
        await inbox.stop()

        let requests = inbox.requests
        #expect(requests.map(\.body).sorted() == ["a1", "a1", "a2"])
        if requests.count == 3 {
            #expect(requests[1].at - requests[0].at >= .milliseconds(900))
            #expect(requests[2].at - requests[0].at >= .milliseconds(900))
        }
    }

    @Test func doesNotRetryClientErrors() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { request, _ in
            request.path == "/gone" ? HTTPResponse.error(.notFound, "no such inbox") : HTTPResponse.error(.badRequest, "bad activity")
        }
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/gone"), inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        try await Task.sleep(for: .milliseconds(150))
        await service.stop()
        await inbox.stop()

        #expect(inbox.requests.count == 2)
        let failures = try fixture.failures().sorted { $0.inbox < $1.inbox }
        #expect(failures.map(\.lastStatus) == [404, 400])
        #expect(failures.first?.reason.contains("no such inbox") == true)
        #expect(failures.allSatisfy { $0.attempts == 1 && $0.activityID == "a1" })
        #expect(try fixture.stats().lane(inbox.authority)?.consecutiveFailures == 0)
        #expect(fixture.log.contains("failed permanently"))
    }

    @Test func givesUpAfterTheHorizon() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, _ in HTTPResponse.error(.serviceUnavailable, "down for maintenance") }
        var configuration = DeliveryFixture.fastConfiguration
        configuration.horizon = .milliseconds(400)
        configuration.breakerThreshold = 1000
        let service = fixture.service(configuration)
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        try fixture.enqueue("a2", key: "a1", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()

        let failures = try fixture.failures()
        #expect(failures.count == 2)
        let first = failures.first { $0.activityID == "a1" }
        #expect(first?.reason.contains("gave up") == true)
        #expect(first?.reason.contains("down for maintenance") == true)
        #expect((first?.attempts ?? 0) >= 3)
        #expect(inbox.bodies.allSatisfy { $0 == "a1" }, "a2 waits behind a1 and expires without an attempt")
    }

    @Test func breakerParksProbesAndResumes() async throws {
        let fixture = try DeliveryFixture()
        let port = freeLoopbackPort()
        var configuration = DeliveryFixture.fastConfiguration
        configuration.breakerThreshold = 3
        let service = fixture.service(configuration)
        try service.start()
        let inboxURL = "http://127.0.0.1:\(port)/inbox"
        for index in 0..<6 { try fixture.enqueue("a\(index)", to: [inboxURL]) }
        service.wake()

        // Nobody listens: connections are refused until the lane parks.
        let lane = "127.0.0.1:\(port)"
        #expect(try await eventually { try fixture.stats().lane(lane)?.isParked == true })
        #expect(fixture.log.contains("parked after"))

        // A server comes back on the same port; the next probe finds it and the lane resumes.
        let inbox = try FakeInbox(port: port)
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()
        #expect(inbox.bodies.sorted() == (0..<6).map { "a\($0)" })
        #expect(fixture.log.contains("resuming"))
        #expect(try fixture.stats().lane(lane) == nil, "a healthy, empty lane leaves no state behind")
    }

    @Test func sendsOneProbePerIntervalWhileParked() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, _ in HTTPResponse.error(.internalServerError, "broken") }
        var configuration = DeliveryFixture.fastConfiguration
        configuration.breakerThreshold = 2
        configuration.probeInterval = .milliseconds(150)
        configuration.maxProbeInterval = .milliseconds(300)
        configuration.initialBackoff = .milliseconds(10)
        configuration.maxBackoff = .milliseconds(20)
        let service = fixture.service(configuration)
        try service.start()
        for index in 0..<4 { try fixture.enqueue("a\(index)", to: [inbox.url("/inbox")]) }
        service.wake()
        #expect(try await eventually { try fixture.stats().lane(inbox.authority)?.isParked == true })
        try await Task.sleep(for: .milliseconds(100))
        let before = inbox.requests.count
        try await Task.sleep(for: .milliseconds(700))
        let probes = inbox.requests.count - before
        await service.stop()
        await inbox.stop()
        // Probes at about +150, +450 (interval doubled to 300, the cap), +750: at most 3 in 700 ms.
        #expect((1...3).contains(probes), "\(probes) requests while parked")
        #expect(try fixture.stats().lane(inbox.authority)?.pending == 4)
    }

    @Test func deliversQueuedWorkWhenAStoppedServerComesBack() async throws {
        let fixture = try DeliveryFixture()
        var inbox = try FakeInbox()
        let port = inbox.port
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a0", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await inbox.stop()

        for index in 1...4 { try fixture.enqueue("a\(index)", key: "same-object", to: ["http://127.0.0.1:\(port)/inbox"]) }
        service.wake()
        #expect(try await eventually { try fixture.stats().lane("127.0.0.1:\(port)")?.consecutiveFailures ?? 0 >= 2 })
        inbox = try FakeInbox(port: port)
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()
        #expect(inbox.bodies == ["a1", "a2", "a3", "a4"])
    }

    @Test func aNewServiceDeliversWhatAStoppedOneLeft() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, _ in
            try? await Task.sleep(for: .milliseconds(30))
            return HTTPResponse(status: .accepted)
        }
        var configuration = DeliveryFixture.fastConfiguration
        configuration.maxInFlightPerLane = 4
        let first = fixture.service(configuration)
        try first.start()
        for index in 0..<40 { try fixture.enqueue("a\(index)", key: "k\(index % 5)", to: [inbox.url("/inbox")]) }
        first.wake()
        #expect(await eventually { inbox.requests.count >= 8 })
        await first.stop()
        let delivered = inbox.requests.count
        let left = try fixture.states().count
        #expect(left > 0 && delivered + left == 40, "stopped with \(delivered) delivered and \(left) left")

        let second = fixture.service(configuration)
        try second.start()
        #expect(await second.waitUntilIdle(timeout: .seconds(4)))
        await second.stop()
        await inbox.stop()
        let bodies = inbox.bodies
        #expect(bodies.count == 40 && Set(bodies).count == 40, "every activity exactly once")
        for key in 0..<5 {
            let sequence = bodies.compactMap { Int($0.dropFirst()) }.filter { $0 % 5 == key }
            #expect(sequence == sequence.sorted())
        }
    }

    @Test func appliesTheTrustListAtSendTime() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox { _, index in
            index == 0 ? HTTPResponse.error(.serviceUnavailable, "busy") : HTTPResponse(status: .accepted)
        }
        var configuration = DeliveryFixture.fastConfiguration
        configuration.initialBackoff = .milliseconds(300)
        let service = fixture.service(configuration)
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        try fixture.enqueue("a2", key: "a1", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await eventually { inbox.requests.count == 1 })
        // Blocked while a1 waits for its retry: neither a1 nor a2 may go out any more.
        fixture.trust.block(inbox.authority)
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        #expect(inbox.requests.count == 1)
        let failures = try fixture.failures()
        #expect(failures.count == 2 && failures.allSatisfy { $0.reason == "blocked by trust list" })

        // Allowed again: new activities flow.
        fixture.trust.allow(inbox.authority)
        try fixture.enqueue("a3", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()
        #expect(inbox.bodies == ["a1", "a3"])
    }

    @Test func resendsDeliveriesLeftInFlightByACrash() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox()
        for index in 0..<3 { try fixture.enqueue("a\(index)", key: "k", to: [inbox.url("/inbox")]) }
        // As a process killed mid-request leaves them: claimed, attempt counted, no outcome.
        try await fixture.database.write { db in
            try db.run("UPDATE deliveries SET state = 'inflight', attempts = 1 WHERE id = (SELECT min(id) FROM deliveries)")
        }
        #expect(try fixture.states() == ["inflight", "waiting", "waiting"])
        let service = fixture.service()
        try service.start()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()
        #expect(inbox.bodies == ["a0", "a1", "a2"])
        #expect(fixture.log.contains("queued again"))
    }

    @Test func failsPermanentlyWhenTheSignerCannotSign() async throws {
        let fixture = try DeliveryFixture()
        let inbox = try FakeInbox()
        let service = DeliveryService(
            database: fixture.database, client: fixture.client, signer: RecordingDeliverySigner(failFor: "ghost"),
            configuration: DeliveryFixture.fastConfiguration, mayDeliver: { _ in true }, log: fixture.log.sink)
        try service.start()
        try fixture.enqueue("a1", signer: "ghost", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: .seconds(3)))
        await service.stop()
        await inbox.stop()
        #expect(inbox.requests.isEmpty)
        #expect(try fixture.failures().first?.reason.contains("could not sign") == true)
    }

    @Test func startTwiceIsRefusedAndStopIsIdempotent() async throws {
        let fixture = try DeliveryFixture()
        let service = fixture.service()
        try service.start()
        #expect(throws: DeliveryError.self) { try service.start() }
        await service.stop()
        await service.stop()
    }
}
