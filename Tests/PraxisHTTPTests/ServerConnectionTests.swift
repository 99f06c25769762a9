import Synchronization
import Testing

@testable import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

@Suite struct ServerConnectionTests {
    @Test func keepAliveByDefaultInHTTP11() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            for name in ["a", "b", "c"] {
                try client.send("GET /hello/\(name) HTTP/1.1\r\nHost: t\r\n\r\n")
                let response = try await client.readResponse()
                #expect(response.text == "hello \(name)")
                #expect(response.header("Connection") == nil)
            }
        }
    }

    @Test func connectionCloseIsHonoured() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Connection") == "close")
            #expect(await client.waitForClose())
        }
    }

    @Test func http10ClosesUnlessKeepAlive() async throws {
        try await withServer { server in
            let plain = try RawClient(port: server.port)
            try plain.send("GET /ok HTTP/1.0\r\n\r\n")
            #expect(try await plain.readResponse().header("Connection") == "close")
            #expect(await plain.waitForClose())

            let kept = try RawClient(port: server.port)
            try kept.send("GET /ok HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().header("Connection") == "keep-alive")
            try kept.send("GET /hello/again HTTP/1.0\r\nConnection: keep-alive\r\n\r\n")
            #expect(try await kept.readResponse().text == "hello again")
        }
    }

    @Test func pipelinedRequestsAreAnsweredInOrder() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            // A slow first request must not let the quick ones overtake it.
            try client.send(
                "GET /slow HTTP/1.1\r\nHost: t\r\n\r\nGET /hello/one HTTP/1.1\r\nHost: t\r\n\r\n"
                    + "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\ntwoGET /hello/three HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "slow")
            #expect(try await client.readResponse().text == "hello one")
            #expect(try await client.readResponse().text == "two")
            #expect(try await client.readResponse().text == "hello three")
            #expect(client.unreadBytes == 0, "one response per request")
        }
    }

    @Test func manyPipelinedRequestsInOneWrite() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            let count = 200
            try client.send(String(repeating: "GET /ok HTTP/1.1\r\nHost: t\r\n\r\n", count: count))
            var ids = Set<String>()
            for _ in 0..<count {
                let response = try await client.readResponse()
                #expect(response.text == "ok")
                ids.insert(response.header("X-Request-Id") ?? "")
            }
            #expect(ids.count == count, "a fresh id per request")
        }
    }

    @Test func requestIDReachesTheHandler() async throws {
        try await withServer { server in
            let response = try await exchange(server, "GET /id HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(response.text.count == 32)
            #expect(response.header("X-Request-Id") == response.text)
        }
    }

    @Test func accessLogOmitsQueryString() async throws {
        let log = LogCollector()
        try await withServer({ $0.accessLog = log.sink }) { server in
            let response = try await exchange(server, "GET /hello/ana?token=SECRET123 HTTP/1.1\r\nHost: t\r\n\r\n")
            let id = try #require(response.header("X-Request-Id"))
            _ = try await exchange(server, "GET /missing HTTP/1.1\r\nHost: t\r\n\r\n")
            _ = try await exchange(server, "BAD\r\n\r\n")
            try await Task.sleep(for: .milliseconds(20))
            let lines = log.all
            #expect(lines.count == 3)
            let first = try #require(lines.first { $0.contains(id) })
            #expect(first.hasPrefix("\(id) 127.0.0.1 GET /hello/ana 200 9 "))
            #expect(first.hasSuffix("ms"))
            #expect(!lines.joined().contains("SECRET123"))
            #expect(lines.contains { $0.contains(" GET /missing 404 ") })
            #expect(lines.contains { $0.contains(" - - 400 ") })
        }
    }

    @Test func handlerErrors() async throws {
        let errors = LogCollector()
        try await withServer({ $0.errorLog = errors.sink }) { server in
            let forbidden = try await exchange(server, "GET /forbidden HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(forbidden.status == 403)
            #expect(forbidden.text == "members only\n")
            let crash = try await exchange(server, "GET /crash HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(crash.status == 500)
            #expect(crash.text == "internal error\n")
            #expect(errors.all.contains { $0.contains("secret database detail") }, "the cause goes to the log")
            try await expectHealthy(server)
        }
    }

    @Test func routerStatusesOverTheWire() async throws {
        try await withServer { server in
            #expect(try await exchange(server, "GET /nope HTTP/1.1\r\nHost: t\r\n\r\n").status == 404)
            let wrongMethod = try await exchange(server, "DELETE /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(wrongMethod.status == 405)
            #expect(wrongMethod.header("Allow") == "GET, HEAD, OPTIONS")
            let options = try await exchange(server, "OPTIONS /echo HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(options.status == 204)
            #expect(options.header("Allow") == "POST, OPTIONS")
            #expect(options.header("Content-Length") == nil)
        }
    }

    @Test func slowHandlerDoesNotBlockOtherConnections() async throws {
        // The handler runs until the test opens the gate: other connections on the same loop must
        // be served meanwhile. No timing involved, so a busy machine cannot fake either outcome.
        let entered = Atomic<Bool>(false)
        let gate = Atomic<Bool>(false)
        var router = testRouter()
        router.get("/gated") { _ in
            entered.store(true, ordering: .releasing)
            while !gate.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            return HTTPResponse(contentType: "text/plain", body: "gated")
        }
        // One loop only, so both connections share it.
        try await withServer(router: router, { $0.eventLoops = 1 }) { server in
            let slow = try RawClient(port: server.port)
            try slow.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await waitUntil { entered.load(ordering: .acquiring) }, "the gated handler should have started")
            try await expectHealthy(server)
            gate.store(true, ordering: .releasing)
            #expect(try await slow.readResponse().text == "gated")
        }
    }

    @Test func headerTimeoutAnswers408() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(200) }) { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n")  // never finished
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(await client.waitForClose())
            try await expectHealthy(server)
        }
    }

    @Test func slowlorisDrippingBytesStillTimesOut() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(300) }) { server in
            let client = try RawClient(port: server.port)
            let start = ContinuousClock.now
            try client.send("GET /ok HTTP/1.1\r\n")
            var timedOut = false
            for i in 0..<20 {
                if (try? client.send("X-\(i): v\r\n")) == nil { break }
                try await Task.sleep(for: .milliseconds(50))
                if ContinuousClock.now - start > .milliseconds(400) { break }
            }
            let response = try await client.readResponse()
            timedOut = response.status == 408
            #expect(timedOut)
            try await expectHealthy(server)
        }
    }

    @Test func bodyTimeoutAnswers408() async throws {
        try await withServer({ $0.bodyTimeout = .milliseconds(200) }) { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\nabc")
            let response = try await client.readResponse()
            #expect(response.status == 408)
            #expect(await client.waitForClose())
            try await expectHealthy(server)
        }
    }

    @Test func idleKeepAliveConnectionIsClosedQuietly() async throws {
        try await withServer({ $0.idleTimeout = .milliseconds(200) }) { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().status == 200)
            #expect(await client.waitForClose())
            #expect(client.unreadBytes == 0, "no response for an idle close")
        }
    }

    @Test func silentConnectionIsClosed() async throws {
        try await withServer({ $0.headerTimeout = .milliseconds(200) }) { server in
            let client = try RawClient(port: server.port)
            #expect(await client.waitForClose())
            #expect(client.unreadBytes == 0)
        }
    }

    @Test func maxConnectionsIsEnforced() async throws {
        try await withServer({ $0.maxConnections = 2 }) { server in
            let a = try RawClient(port: server.port)
            let b = try RawClient(port: server.port)
            for client in [a, b] {
                try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
                #expect(try await client.readResponse().status == 200)
            }
            let c = try RawClient(port: server.port)
            let refused = try await c.readResponse()
            #expect(refused.status == 503)
            #expect(await c.waitForClose())
            // Closing one makes room again.
            a.shutdownWrite()
            #expect(await a.waitForClose())
            var status = 0
            for _ in 0..<50 {
                let d = try RawClient(port: server.port)
                try? d.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
                status = (try? await d.readResponse().status) ?? 0
                if status == 200 { break }
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(status == 200)
        }
    }

    @Test func peerHalfCloseStillGetsItsResponse() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            client.shutdownWrite()
            #expect(try await client.readResponse().text == "ok")
            #expect(await client.waitForClose())
        }
    }

    @Test func portInUseIsAClearError() async throws {
        try await withServer { server in
            var configuration = HTTPServerConfiguration()
            configuration.port = server.port
            let second = HTTPServer(configuration: configuration, responder: Router())
            #expect {
                try second.start()
            } throws: { error in
                (error as? HTTPServerError)?.message.contains("already in use") == true
            }
        }
    }

    @Test func gracefulShutdownFinishesInFlightRequests() async throws {
        // The handler finishes only when the test opens the gate, after the shutdown has begun,
        // so the outcome does not depend on how busy the machine is.
        let entered = Atomic<Bool>(false)
        let gate = Atomic<Bool>(false)
        var router = testRouter()
        router.get("/gated") { _ in
            entered.store(true, ordering: .releasing)
            while !gate.load(ordering: .acquiring) { try await Task.sleep(for: .milliseconds(5)) }
            return HTTPResponse(contentType: "text/plain", body: "gated")
        }
        var configuration = HTTPServerConfiguration()
        configuration.eventLoops = 2
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        let port = server.port
        let idle = try RawClient(port: port)
        try idle.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(try await idle.readResponse().status == 200)
        let busy = try RawClient(port: port)
        try busy.send("GET /gated HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await waitUntil { entered.load(ordering: .acquiring) }, "the gated handler should have started")

        // The grace period is far longer than the test may take: shutting down must end when the
        // last request does, not when the grace period runs out.
        let start = ContinuousClock.now
        async let first: Void = server.shutdown(gracePeriod: .seconds(60))
        async let second: Void = server.shutdown(gracePeriod: .seconds(60))
        // Wait until the listener is closed: the drain commands are then queued on every loop.
        while let probe = try? RawClient(port: port) {
            _ = probe
            try await Task.sleep(for: .milliseconds(5))
        }
        #expect(await idle.waitForClose(), "idle connections close at once, not when the grace period ends")
        gate.store(true, ordering: .releasing)
        let response = try await busy.readResponse()
        #expect(response.text == "gated")
        #expect(response.header("Connection") == "close")
        _ = await (first, second)
        await server.waitUntilStopped()
        #expect(ContinuousClock.now - start < .seconds(30))
        #expect(throws: RawClientError.self) { try RawClient(port: port) }
    }

    @Test func shutdownGracePeriodIsBounded() async throws {
        let entered = Atomic<Bool>(false)
        var router = Router()
        router.get("/forever") { _ in
            entered.store(true, ordering: .releasing)
            try? await Task.sleep(for: .seconds(180))
            return HTTPResponse(status: .ok)
        }
        var configuration = HTTPServerConfiguration()
        configuration.eventLoops = 1
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        let client = try RawClient(port: server.port)
        try client.send("GET /forever HTTP/1.1\r\nHost: t\r\n\r\n")
        #expect(await waitUntil { entered.load(ordering: .acquiring) }, "the handler should have started")
        let start = ContinuousClock.now
        await server.shutdown(gracePeriod: .milliseconds(200))
        // Far below the handler's 180 s, however busy the machine: the grace period bounded the wait.
        #expect(ContinuousClock.now - start < .seconds(120))
        #expect(await client.waitForClose())
    }

    @Test func shutdownSignalIsDelivered() async throws {
        let received = await ShutdownSignal.wait(for: [SIGUSR2], ready: { _ = kill(getpid(), SIGUSR2) })
        #expect(received == SIGUSR2)
    }
}
