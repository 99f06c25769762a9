import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisSQLite
import PraxisTestSupport
import Synchronization
import Testing

/// Upper bound for waits on the service; reached only when a test fails. Generous because the
/// attempts run on Swift's cooperative pool, which other suites running at the same time (key
/// generation, blocking I/O) can keep busy for seconds on a two-core machine.
let idleDeadline: Duration = .seconds(30)

/// The delivery service against real loopback inboxes. Serialized: the timings would be noisy
/// with other suites' servers competing for two cores. No test asserts that something happens
/// within a short time; timing checks are lower bounds (a retry not earlier than its backoff).
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        // One request at a time: a2 (another key, due at once) can only go out after a1's 429
        // has paused the lane, whatever the timing.
        var configuration = DeliveryFixture.fastConfiguration
        configuration.maxInFlightPerLane = 1
        let service = fixture.service(configuration)
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        try fixture.enqueue("a2", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
        await service.stop()
        await inbox.stop()

        let requests = inbox.requests
        #expect(requests.map(\.body) == ["a1", "a1", "a2"] || requests.map(\.body) == ["a1", "a2", "a1"])
        if requests.count == 3 {
            // Both the retry and the other activity waited for the pause the destination asked for.
            #expect(requests[1].at - requests[0].at >= .milliseconds(900))
            #expect(requests[2].at - requests[0].at >= .milliseconds(900))
        }
        #expect(try fixture.stats().lane(inbox.authority) == nil, "the pause is over and forgotten")
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        configuration.horizon = .milliseconds(500)
        configuration.initialBackoff = .milliseconds(20)
        configuration.maxBackoff = .milliseconds(100)
        configuration.breakerThreshold = 1000
        let service = fixture.service(configuration)
        try service.start()
        // Queued together (same time), so a2's horizon ends with a1's: when a1 is given up, a2
        // is past its horizon too and must be given up without ever being sent.
        let queuedAt = Date()
        try await fixture.database.write { db in
            for (id, key) in [("a1", "a1"), ("a2", "a1")] {
                let activity = OutgoingActivity(activityID: id, orderingKey: key, body: Array(id.utf8), signer: "alice")
                try DeliveryQueue.enqueue(activity, to: [inbox.url("/inbox")], db: db, now: queuedAt)
            }
        }
        service.wake()
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
        await service.stop()
        await inbox.stop()

        let failures = try fixture.failures()
        #expect(failures.count == 2)
        let first = try #require(failures.first { $0.activityID == "a1" })
        let second = try #require(failures.first { $0.activityID == "a2" })
        // Retried, not failed at the first 503: given up only once the horizon had passed, and
        // the record says why it never arrived.
        #expect(first.failedAt.timeIntervalSince(queuedAt) >= 0.499)
        #expect(first.reason.contains("gave up"))
        #expect(first.reason.contains("down for maintenance"), "\(first.reason)")
        #expect(first.attempts >= 1 && first.attempts == inbox.requests.count)
        #expect(inbox.bodies.allSatisfy { $0 == "a1" }, "a2 waits behind a1 and expires without an attempt")
        #expect(second.attempts == 0 && second.reason.contains("gave up"))
        #expect(second.failedAt.timeIntervalSince(queuedAt) >= 0.499)
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        // One request at a time, so every request after the two that park the lane is a probe.
        configuration.maxInFlightPerLane = 1
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
        // Three probes: after 150 ms, then the interval doubles to 300 ms (the cap) and stays there.
        #expect(await eventually { inbox.requests.count >= 5 })
        await service.stop()
        await inbox.stop()

        let times = inbox.requests.map(\.at)
        #expect(times.count >= 5)
        if times.count >= 5 {
            // Gaps are lower bounds, so a slow machine cannot break them; a lane that sent more
            // than one request per probe interval would.
            #expect(times[2] - times[1] >= .milliseconds(140), "first probe one interval after parking")
            for index in 3..<times.count {
                #expect(times[index] - times[index - 1] >= .milliseconds(290), "probe \(index - 1) came too soon")
            }
        }
        #expect(try fixture.stats().lane(inbox.authority)?.pending == 4)
        #expect(fixture.log.contains("parked after 2 consecutive failures"))
    }

    @Test func deliversQueuedWorkWhenAStoppedServerComesBack() async throws {
        let fixture = try DeliveryFixture()
        var inbox = try FakeInbox()
        let port = inbox.port
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a0", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
        await inbox.stop()

        for index in 1...4 { try fixture.enqueue("a\(index)", key: "same-object", to: ["http://127.0.0.1:\(port)/inbox"]) }
        service.wake()
        #expect(try await eventually { try fixture.stats().lane("127.0.0.1:\(port)")?.consecutiveFailures ?? 0 >= 2 })
        inbox = try FakeInbox(port: port)
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
        await service.stop()
        await inbox.stop()
        #expect(inbox.bodies == ["a1", "a2", "a3", "a4"])
    }

    @Test func aNewServiceDeliversWhatAStoppedOneLeft() async throws {
        let fixture = try DeliveryFixture()
        // The first eight requests are acknowledged, later ones refused with 503 until the gate
        // opens: the first service stops with a known amount delivered, however fast it runs.
        let gate = Atomic<Bool>(false)
        let accepted = Mutex<[String]>([])
        let inbox = try FakeInbox { request, index in
            guard index < 8 || gate.load(ordering: .acquiring) else {
                return HTTPResponse.error(.serviceUnavailable, "closed for now")
            }
            accepted.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
            return HTTPResponse(status: .accepted)
        }
        var configuration = DeliveryFixture.fastConfiguration
        configuration.maxInFlightPerLane = 4
        let first = fixture.service(configuration)
        try first.start()
        for index in 0..<40 { try fixture.enqueue("a\(index)", key: "k\(index % 5)", to: [inbox.url("/inbox")]) }
        first.wake()
        #expect(await eventually { accepted.withLock { $0.count } == 8 })
        await first.stop()
        let delivered = accepted.withLock { $0.count }
        let left = try fixture.states().filter { $0 != "failed" }.count
        #expect(delivered == 8 && left == 32, "stopped with \(delivered) delivered and \(left) left")
        #expect(try fixture.states().allSatisfy { $0 == "queued" || $0 == "waiting" }, "nothing left in flight")

        gate.store(true, ordering: .releasing)
        let second = fixture.service(configuration)
        try second.start()
        #expect(await second.waitUntilIdle(timeout: idleDeadline))
        await second.stop()
        await inbox.stop()
        let bodies = accepted.withLock { $0 }
        #expect(bodies.count == 40 && Set(bodies).count == 40, "every activity acknowledged exactly once")
        for key in 0..<5 {
            let sequence = bodies.compactMap { Int($0.dropFirst()) }.filter { $0 % 5 == key }
            #expect(sequence == sequence.sorted())
        }
    }

    @Test func appliesTheTrustListAtSendTime() async throws {
        let fixture = try DeliveryFixture()
        let trust = fixture.trust
        let authority = Mutex<String>("")
        // The destination is blocked while a1's first attempt is in flight, so a1 (waiting for its
        // retry) and a2 (waiting behind a1) are both pending when the trust list says no.
        let inbox = try FakeInbox { _, index in
            guard index == 0 else { return HTTPResponse(status: .accepted) }
            trust.block(authority.withLock { $0 })
            return HTTPResponse.error(.serviceUnavailable, "busy")
        }
        authority.withLock { $0 = inbox.authority }
        let service = fixture.service()
        try service.start()
        try fixture.enqueue("a1", to: [inbox.url("/inbox")])
        try fixture.enqueue("a2", key: "a1", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
        #expect(inbox.requests.count == 1)
        let failures = try fixture.failures()
        #expect(failures.count == 2 && failures.allSatisfy { $0.reason == "blocked by trust list" })

        // Allowed again: new activities flow.
        fixture.trust.allow(inbox.authority)
        try fixture.enqueue("a3", to: [inbox.url("/inbox")])
        service.wake()
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
        #expect(await service.waitUntilIdle(timeout: idleDeadline))
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
