import Testing

@testable import PraxisHTTP

/// One malformed or refused request and the status the server must answer.
struct BadRequestCase: Sendable, CustomStringConvertible {
    var name: String
    var request: String
    var status: Int
    var description: String { name }
}

@Suite struct ServerProtocolErrorTests {
    static let cases: [BadRequestCase] = [
        BadRequestCase(name: "garbage request line", request: "GARBAGE\r\n\r\n", status: 400),
        BadRequestCase(name: "double space in request line", request: "GET  /ok HTTP/1.1\r\nHost: t\r\n\r\n", status: 400),
        BadRequestCase(name: "bare LF line ending", request: "GET /ok HTTP/1.1\nHost: t\r\n\r\n", status: 400),
        BadRequestCase(name: "control character in target", request: "GET /o\u{01}k HTTP/1.1\r\nHost: t\r\n\r\n", status: 400),
        BadRequestCase(name: "relative target", request: "GET ok HTTP/1.1\r\nHost: t\r\n\r\n", status: 400),
        BadRequestCase(name: "header line without colon", request: "GET /ok HTTP/1.1\r\nHost: t\r\nNoColon\r\n\r\n", status: 400),
        BadRequestCase(name: "space before colon", request: "GET /ok HTTP/1.1\r\nHost : t\r\n\r\n", status: 400),
        BadRequestCase(name: "obs-fold", request: "GET /ok HTTP/1.1\r\nHost: t\r\nX-A: a\r\n  folded\r\n\r\n", status: 400),
        BadRequestCase(name: "control character in value", request: "GET /ok HTTP/1.1\r\nHost: t\r\nX-A: a\u{01}b\r\n\r\n", status: 400),
        BadRequestCase(name: "bare CR in value", request: "GET /ok HTTP/1.1\r\nHost: t\r\nX-A: a\rb\r\n\r\n", status: 400),
        BadRequestCase(name: "missing Host on HTTP/1.1", request: "GET /ok HTTP/1.1\r\nAccept: */*\r\n\r\n", status: 400),
        BadRequestCase(name: "two Host headers", request: "GET /ok HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", status: 400),
        BadRequestCase(
            name: "Content-Length and Transfer-Encoding",
            request: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n", status: 400),
        BadRequestCase(
            name: "differing Content-Length headers",
            request: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd", status: 400),
        BadRequestCase(name: "differing Content-Length list", request: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3, 4\r\n\r\nabcd", status: 400),
        BadRequestCase(name: "negative Content-Length", request: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: -1\r\n\r\n", status: 400),
        BadRequestCase(name: "non-numeric Content-Length", request: "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 1e3\r\n\r\n", status: 400),
        BadRequestCase(
            name: "invalid chunk size", request: "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nab\r\n0\r\n\r\n",
            status: 400),
        BadRequestCase(
            name: "chunk size overflow",
            request: "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFF\r\nab\r\n", status: 400),
        BadRequestCase(
            name: "chunk data without CRLF",
            request: "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n2\r\nabX\r\n0\r\n\r\n", status: 400),
        BadRequestCase(
            // RFC 9112 section 6.3: chunked not final means the length cannot be known → 400.
            name: "chunked not last", request: "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked, gzip\r\n\r\n", status: 400),
        BadRequestCase(name: "unknown transfer coding", request: "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: gzip\r\n\r\n", status: 501),
        BadRequestCase(name: "unsupported expectation", request: "POST /echo HTTP/1.1\r\nHost: t\r\nExpect: teapot\r\nContent-Length: 1\r\n\r\na", status: 417),
        BadRequestCase(name: "HTTP/2.0", request: "GET /ok HTTP/2.0\r\nHost: t\r\n\r\n", status: 505),
        BadRequestCase(name: "garbage version", request: "GET /ok FOO/1.1\r\nHost: t\r\n\r\n", status: 505),
    ]

    @Test(arguments: cases)
    func rejectsAndClosesThenKeepsServing(_ badCase: BadRequestCase) async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send(badCase.request)
            let response = try await client.readResponse()
            #expect(response.status == badCase.status, "\(badCase.name)")
            #expect(response.header("Connection") == "close")
            #expect(response.header("X-Request-Id")?.count == 32)
            #expect(await client.waitForClose(), "framing can no longer be trusted: the server must close")
            try await expectHealthy(server)
        }
    }

    @Test func requestLineTooLongIs414() async throws {
        try await withServer({ $0.maxRequestLineBytes = 100 }) { server in
            let response = try await exchange(server, "GET /" + String(repeating: "a", count: 200) + " HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(response.status == 414)
            // Without any line end at all, the limit still applies.
            let client = try RawClient(port: server.port)
            try client.send("GET /" + String(repeating: "b", count: 300))
            #expect(try await client.readResponse().status == 414)
            try await expectHealthy(server)
        }
    }

    @Test func headersTooLargeAre431() async throws {
        try await withServer({ $0.maxHeaderBytes = 1024 }) { server in
            let big = "GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "x", count: 2000))\r\n\r\n"
            #expect(try await exchange(server, big).status == 431)
            // An unterminated header section hits the limit too.
            let client = try RawClient(port: server.port)
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\nX-Big: \(String(repeating: "y", count: 5000))")
            #expect(try await client.readResponse().status == 431)
            try await expectHealthy(server)
        }
    }

    @Test func tooManyHeadersAre431() async throws {
        try await withServer({ $0.maxHeaderCount = 10 }) { server in
            var request = "GET /ok HTTP/1.1\r\nHost: t\r\n"
            for i in 0..<10 { request += "X-H\(i): v\r\n" }
            #expect(try await exchange(server, request + "\r\n").status == 431)
            var fine = "GET /ok HTTP/1.1\r\nHost: t\r\n"
            for i in 0..<9 { fine += "X-H\(i): v\r\n" }
            #expect(try await exchange(server, fine + "\r\n").status == 200)
            try await expectHealthy(server)
        }
    }

    @Test func acceptedVariants() async throws {
        try await withServer { server in
            // Identical duplicate Content-Length values are one value.
            let dup = try await exchange(server, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\nContent-Length: 3\r\n\r\nabc")
            #expect(dup.status == 200)
            #expect(dup.text == "abc")
            // HTTP/1.0 needs no Host; empty lines before the request line are ignored.
            let old = try await exchange(server, "\r\nGET /ok HTTP/1.0\r\n\r\n")
            #expect(old.status == 200)
            // Absolute-form targets are accepted.
            #expect(try await exchange(server, "GET http://t/hello/x HTTP/1.1\r\nHost: t\r\n\r\n").text == "hello x")
            // Header names are case-insensitive and values may carry tabs and obs-text.
            #expect(try await exchange(server, "GET /ok HTTP/1.1\r\nhOsT: t\r\nX-A: a\tb \u{e9}\r\n\r\n").status == 200)
        }
    }
}
