import Testing

@testable import PraxisHTTP

@Suite struct ServerBasicTests {
    @Test func servesARequestWithStandardHeaders() async throws {
        try await withServer { server in
            let response = try await exchange(server, "GET /hello/ana%20maria HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(response.status == 200)
            #expect(response.text == "hello ana maria")
            #expect(response.header("Content-Length") == "15")
            #expect(response.header("Server") == "Praxis")
            #expect(response.header("Date")?.hasSuffix(" GMT") == true)
            #expect(response.header("X-Request-Id")?.count == 32)
        }
    }
}
