import Foundation
import PraxisHTTP
import Synchronization
import Testing

@Suite("HTTPClient exchanges over loopback")
struct ClientExchangeTests {
    @Test func getSendsTheRightBytes() async throws {
        let server = try ClientTestServer { _ in .send(clientOK("hello")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(
            HTTPClientRequest(url: "\(server.base)/users/ana?x=%2F", headers: ["Accept": "application/activity+json"]))
        #expect(response.status.code == 200)
        #expect(response.text == "hello")
        #expect(response.url == "\(server.base)/users/ana?x=%2F")
        #expect(response.headers["content-length"] == "5")

        let request = try #require(server.requests.first)
        #expect(request.requestLine == "GET /users/ana?x=%2F HTTP/1.1")
        #expect(request.headerLines.first == "Host: 127.0.0.1:\(server.port)", "Host comes first, from the URL")
        #expect(request.header("Accept") == "application/activity+json")
        #expect(request.header("User-Agent") == "Praxis/0.1")
        #expect(request.header("Content-Length") == nil, "a GET without body has no Content-Length")
    }

    @Test func postSendsBodyWithContentLength() async throws {
        let server = try ClientTestServer { request in
            .send(clientRaw("HTTP/1.1 202 Accepted\r\nContent-Length: \(request.body.count)\r\n\r\n") + request.body)
        }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.userAgent = "Praxis/test"
        let client = try HTTPClient(configuration: configuration)
        let body = Array(#"{"type":"Create"}"#.utf8)
        let response = try await client.send(
            HTTPClientRequest(
                method: .post, url: "\(server.base)/inbox",
                headers: ["Content-Type": "application/activity+json", "Host": "evil.example", "Content-Length": "999"],
                body: body))
        #expect(response.status == .accepted)
        #expect(response.body == body)
        let request = try #require(server.requests.first)
        #expect(request.requestLine == "POST /inbox HTTP/1.1")
        #expect(request.header("Host") == "127.0.0.1:\(server.port)")
        #expect(request.headerLines.filter { $0.lowercased().hasPrefix("host:") }.count == 1)
        #expect(request.header("Content-Length") == "\(body.count)")
        #expect(request.headerLines.filter { $0.lowercased().hasPrefix("content-length:") }.count == 1)
        #expect(request.header("User-Agent") == "Praxis/test")
        #expect(request.body == body)

        let empty = try await client.send(HTTPClientRequest(method: .post, url: "\(server.base)/inbox"))
        #expect(empty.status.code == 202)
        #expect(server.requests.last?.header("Content-Length") == "0")
    }

    @Test func chunkedResponseWithTrailers() async throws {
        let server = try ClientTestServer { _ in
            .send(clientRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;ext=1\r\nhello\r\n7\r\n, world\r\n0\r\nDigest: x\r\n\r\n"))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(response.text == "hello, world")
        #expect(response.trailers["Digest"] == "x")
        #expect(client.idleConnectionCount == 1, "a complete chunked response leaves the connection reusable")
    }

    @Test func closeDelimitedResponse() async throws {
        let server = try ClientTestServer { _ in .sendAndClose(clientRaw("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(response.text == "until the end")
        #expect(client.idleConnectionCount == 0)
    }

    @Test func keepAliveReusesOneConnection() async throws {
        let server = try ClientTestServer { request in .send(clientOK("n\(request.target)")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        for index in 1...3 {
            let response = try await client.send(HTTPClientRequest(url: "\(server.base)/\(index)"))
            #expect(response.text == "n/\(index)")
        }
        #expect(server.connectionCount == 1)
        #expect(server.requests.map(\.connection) == [1, 1, 1])
        client.shutdown()
        #expect(client.idleConnectionCount == 0)
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/after"))
        #expect(server.connectionCount == 2, "after shutdown() the client reconnects")
    }

    @Test func expiredIdleConnectionIsNotReused() async throws {
        let server = try ClientTestServer { _ in .send(clientOK("fresh")) }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.idleConnectionTimeout = .nanoseconds(1)
        let client = try HTTPClient(configuration: configuration)
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(server.requests.map(\.connection) == [1, 2], "the expired connection was closed, not reused")
    }

    @Test func connectionCloseIsNotPooled() async throws {
        let server = try ClientTestServer { _ in .sendAndClose(clientOK("bye", headers: "Connection: close\r\n")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(server.connectionCount == 2)
    }

    @Test func staleIdleConnectionIsReplaced() async throws {
        // The server answers and then closes without saying so, as an idle timeout would.
        let server = try ClientTestServer { _ in .sendAndClose(clientOK("fine")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        for _ in 1...3 {
            let response = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
            #expect(response.text == "fine")
        }
        #expect(server.connectionCount == 3)
    }

    @Test func idempotentRequestIsRetriedOnceWhenAPooledConnectionDies() async throws {
        // On the first connection, the second request is dropped unanswered, as a server does
        // when its keep-alive timeout races with our reuse.
        let server = try ClientTestServer { request in
            request.target == "/drop" && request.connection == 1 ? .close : .send(clientOK("answered on \(request.connection)"))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/first"))
        let retried = try await client.send(HTTPClientRequest(url: "\(server.base)/drop"))
        #expect(retried.text == "answered on 2")
        #expect(server.requests.map(\.target) == ["/first", "/drop", "/drop"])
    }

    @Test func postIsNotRetried() async throws {
        let server = try ClientTestServer { request in
            request.target == "/drop" && request.connection == 1 ? .close : .send(clientOK("answered"))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        _ = try await client.send(HTTPClientRequest(url: "\(server.base)/first"))
        let error = await clientError {
            _ = try await client.send(HTTPClientRequest(method: .post, url: "\(server.base)/drop", body: [1]))
        }
        #expect(error?.kind == .connectionClosed)
        #expect(server.requests.count == 2, "a POST is never sent twice")
    }

    @Test func interimResponsesAreSkippedAndHeadHasNoBody() async throws {
        let server = try ClientTestServer { request in
            if request.requestLine.hasPrefix("HEAD") {
                return .send(clientRaw("HTTP/1.1 200 OK\r\nContent-Length: 1000\r\n\r\n"))
            }
            if request.target == "/empty" { return .send(clientRaw("HTTP/1.1 204 No Content\r\nContent-Length: 3\r\n\r\n")) }
            return .send(clientRaw("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n") + clientOK("final"))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let interim = try await client.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(interim.status.code == 200 && interim.text == "final")
        #expect(interim.headers["Link"] == nil)
        let head = try await client.send(HTTPClientRequest(method: .head, url: "\(server.base)/"))
        #expect(head.body.isEmpty && head.headers["Content-Length"] == "1000")
        let empty = try await client.send(HTTPClientRequest(url: "\(server.base)/empty"))
        #expect(empty.status.code == 204 && empty.body.isEmpty)
        #expect(server.connectionCount == 1, "bodiless responses keep the connection usable")
    }

    @Test func responseBodyLimit() async throws {
        let big = String(repeating: "x", count: 5000)
        let server = try ClientTestServer { request in
            switch request.target {
            case "/length": return .send(clientOK(big))
            case "/exact": return .send(clientOK(String(repeating: "z", count: 1000)))
            case "/chunked":
                let chunk = String(repeating: "y", count: 600)
                return .send(clientRaw("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n258\r\n\(chunk)\r\n258\r\n\(chunk)\r\n0\r\n\r\n"))
            default: return .sendAndClose(clientRaw("HTTP/1.1 200 OK\r\n\r\n\(big)"))
            }
        }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.maxResponseBodySize = 1000
        let client = try HTTPClient(configuration: configuration)
        for path in ["/length", "/chunked", "/close"] {
            let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)\(path)")) }
            #expect(error?.kind == .responseTooLarge, "\(path)")
        }
        #expect(client.idleConnectionCount == 0, "connections with an oversized body are dropped")
        let exact = try await client.send(HTTPClientRequest(url: "\(server.base)/exact"))
        #expect(exact.body.count == 1000, "a body of exactly the limit is accepted")
    }

    @Test func headerLimit() async throws {
        let server = try ClientTestServer { _ in
            .send(clientRaw("HTTP/1.1 200 OK\r\nX-Big: \(String(repeating: "h", count: 4000))\r\nContent-Length: 0\r\n\r\n"))
        }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.maxResponseHeaderBytes = 1024
        let client = try HTTPClient(configuration: configuration)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        #expect(error?.kind == .headersTooLarge)

        configuration.maxResponseHeaderBytes = 8192
        let roomy = try HTTPClient(configuration: configuration)
        let response = try await roomy.send(HTTPClientRequest(url: "\(server.base)/"))
        #expect(response.headers["X-Big"]?.count == 4000)
    }

    // Timing is checked where it is measured reliably: the lower bound from the test task (a late
    // resumption only makes it longer), the upper bound by the server's thread noticing the client
    // hang up. When every suite runs at once, the test task itself can wait many seconds for a
    // thread, which says nothing about the client.

    @Test func timeoutOnSilentServer() async throws {
        let server = try ClientTestServer { _ in .hang }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.requestTimeout = .milliseconds(300)
        let client = try HTTPClient(configuration: configuration)
        let start = ContinuousClock.now
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        #expect(error?.kind == .timeout)
        #expect(ContinuousClock.now - start >= .milliseconds(250), "the timeout fired early")
        let received = try #require(server.requests.first?.received)
        let hangUp = try #require(await server.hangUp(), "the client never closed the connection")
        #expect(hangUp - received < .seconds(10), "the client gave up \(hangUp - received) after sending")
    }

    @Test func cancellationStopsAWaitingRequest() async throws {
        // The server's thread cancels the task the moment the request has arrived, so the request
        // is surely waiting for its answer however late the test task gets to run.
        let cancellation = ClientTestCancellation()
        let server = try ClientTestServer { _ in
            cancellation.requestArrived()
            return .hang
        }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        // Far beyond the test's bounds, so only cancellation can end the request in time.
        configuration.requestTimeout = .seconds(30)
        let client = try HTTPClient(configuration: configuration)
        let task = Task { try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        cancellation.cancelWhenTheRequestArrives(task)
        await #expect(throws: CancellationError.self) { _ = try await task.value }
        let cancelled = try #require(cancellation.cancelledAt, "the request never reached the server")
        let hangUp = try #require(await server.hangUp(), "the cancelled request kept its connection open")
        #expect(hangUp - cancelled < .seconds(5), "the connection closed \(hangUp - cancelled) after cancelling")
    }

    @Test("malformed responses", arguments: [
        "HTTP/1.1 2OO OK\r\nContent-Length: 0\r\n\r\n",
        "HTTP/1.1200 OK\r\n\r\n",
        "ICY 200 OK\r\n\r\n",
        "HTTP/2.0 200 OK\r\n\r\n",
        "HTTP/1.1 200 OK\r\nNo colon here\r\n\r\n",
        "HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\r\n folded\r\n\r\n",
        "HTTP/1.1 200 OK\r\nContent-Length: 1, 2\r\n\r\nab",
        "HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabc\r\n0\r\n\r\n",
        "HTTP/1.1 101 Switching Protocols\r\n\r\n",
        "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n+5\r\nhello\r\n0\r\n\r\n",
        "HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
    ])
    func malformed(_ reply: String) async throws {
        let server = try ClientTestServer { _ in .sendAndClose(clientRaw(reply)) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        guard case .malformedResponse = error?.kind else {
            Issue.record("expected malformedResponse, got \(String(describing: error))")
            return
        }
    }

    @Test func truncatedBodyIsAnError() async throws {
        let server = try ClientTestServer { _ in .sendAndClose(clientRaw("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        #expect(error?.kind == .connectionClosed)
    }

    @Test func invalidRequestsAreRefusedBeforeSending() async throws {
        let server = try ClientTestServer { _ in .send(clientOK("")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let injected = await clientError {
            _ = try await client.send(HTTPClientRequest(url: "\(server.base)/", headers: ["X-A": "1\r\nX-Injected: 2"]))
        }
        #expect(injected?.kind == .invalidRequest)
        let method = await clientError {
            _ = try await client.send(HTTPClientRequest(method: HTTPMethod("GET /x"), url: "\(server.base)/"))
        }
        #expect(method?.kind == .invalidRequest)
        #expect(server.connectionCount == 0)
    }
}
