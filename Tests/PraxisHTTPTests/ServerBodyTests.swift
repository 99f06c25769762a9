import Testing

@testable import PraxisHTTP

@Suite struct ServerBodyTests {
    @Test func contentLengthBody() async throws {
        try await withServer { server in
            let response = try await exchange(server, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\nhello world")
            #expect(response.status == 200)
            #expect(response.text == "hello world")
        }
    }

    @Test func bodyArrivingInPieces() async throws {
        // The pauses between pieces are meant to be short, but a busy machine can stretch them
        // to seconds: `withServer`'s timeouts are long, as this test is about reassembly only.
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-")
            try await Task.sleep(for: .milliseconds(30))
            try client.send("Length: 6\r\n\r\nab")
            try await Task.sleep(for: .milliseconds(30))
            try client.send("cdef")
            #expect(try await client.readResponse().text == "abcdef")
        }
    }

    @Test func chunkedBodyWithExtensionsAndTrailers() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send(
                "POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n"
                    + "5;name=value\r\nhello\r\n1 ; x=\"y\"\r\n \r\n5\r\nworld\r\n0\r\nX-Trailer: yes\r\nX-Other: 1\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.text == "hello world")
            // The connection stays usable after a chunked body.
            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "ok")
        }
    }

    @Test func chunkedBodyByteByByte() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            for byte in Array("3\r\nabc\r\na\r\n0123456789\r\n0\r\n\r\n".utf8) { try client.send([byte]) }
            #expect(try await client.readResponse().text == "abc0123456789")
        }
    }

    @Test func bodyTooLargeByContentLengthIsRefusedBeforeReading() async throws {
        try await withServer({ $0.defaultMaxBodySize = 1000 }) { server in
            let client = try RawClient(port: server.port)
            // Only the head is sent: the answer must come without the body.
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 5000000\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413)
            #expect(await client.waitForClose())
            try await expectHealthy(server)
        }
    }

    @Test func perRouteLimits() async throws {
        try await withServer { server in
            #expect(try await exchange(server, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 10\r\n\r\n0123456789").text == "10")
            #expect(try await exchange(server, "POST /small HTTP/1.1\r\nHost: t\r\nContent-Length: 11\r\n\r\n0123456789a").status == 413)
            // Larger than the 1 MiB default but allowed on this route.
            let size = 2 * 1024 * 1024
            let client = try RawClient(port: server.port)
            try client.send("POST /large HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n")
            try client.send([UInt8](repeating: 0x61, count: size))
            #expect(try await client.readResponse().text == "\(size)")
            #expect(try await exchange(server, "POST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: \(size)\r\n\r\n").status == 413)
            try await expectHealthy(server)
        }
    }

    @Test func chunkedBodyOverTheLimit() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /small HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n01234567\r\n8\r\n01234567\r\n0\r\n\r\n")
            #expect(try await client.readResponse().status == 413)
            #expect(await client.waitForClose())
            try await expectHealthy(server)
        }
    }

    @Test func expectContinueWhenAccepted() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /echo HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
            let interim = try await client.readResponse()
            #expect(interim.status == 100)
            try client.send("data")
            let final = try await client.readResponse()
            #expect(final.status == 200)
            #expect(final.text == "data")
        }
    }

    @Test func expectContinueWhenRefused() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("POST /small HTTP/1.1\r\nHost: t\r\nExpect: 100-continue\r\nContent-Length: 400\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 413, "no 100 Continue for a body that will be refused")
            try await expectHealthy(server)
        }
    }

    @Test func headKeepsContentLengthWithoutBody() async throws {
        try await withServer { server in
            let client = try RawClient(port: server.port)
            try client.send("HEAD /hello/ana HTTP/1.1\r\nHost: t\r\n\r\nGET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try await client.readResponse(head: true)
            #expect(head.status == 200)
            #expect(head.header("Content-Length") == "9")
            // Had a body been sent, this next response would be garbled.
            #expect(try await client.readResponse().text == "ok")
        }
    }
}
