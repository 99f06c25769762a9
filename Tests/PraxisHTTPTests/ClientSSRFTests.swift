import PraxisHTTP
import Testing

@Suite("HTTPClient default policy refuses internal destinations")
struct ClientSSRFTests {
    @Test("refused before connecting", arguments: [
        "https://127.0.0.1:PORT/", "https://localhost:PORT/", "https://[::1]:PORT/", "https://10.0.0.1/",
        "https://169.254.169.254/latest/meta-data/", "https://[::ffff:127.0.0.1]:PORT/", "https://[::ffff:a9fe:a9fe]/",
        "https://192.168.0.1/", "https://0.0.0.0:PORT/", "https://[fe80::1]/", "https://[fd00::1]/",
        "https://100.64.0.1/", "https://[64:ff9b::7f00:1]/",
    ])
    func refused(_ template: String) async throws {
        // A real listener on 127.0.0.1 proves that nothing is even connected to.
        let server = try ClientTestServer { _ in .send(clientOK("must not be reached")) }
        defer { server.stop() }
        let client = try HTTPClient()
        let url = template.replacingOccurrences(of: "PORT", with: "\(server.port)")
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: url)) }
        guard case .forbiddenAddress(let host, let address)? = error?.kind else {
            Issue.record("expected forbiddenAddress for \(url), got \(String(describing: error))")
            return
        }
        #expect(!AddressPolicy.publicOnly.allows(address))
        #expect(!host.isEmpty)
        #expect(server.connectionCount == 0)
    }

    @Test func plainHTTPIsRefused() async throws {
        let server = try ClientTestServer { _ in .send(clientOK("must not be reached")) }
        defer { server.stop() }
        let client = try HTTPClient()
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        #expect(error?.kind == .insecureScheme)
        #expect(server.connectionCount == 0)
    }

    @Test func devModeAllowsLoopback() async throws {
        let server = try ClientTestServer { _ in .send(clientOK("local")) }
        defer { server.stop() }
        var configuration = HTTPClientConfiguration()
        configuration.allowInsecureAndPrivate = true
        let client = try HTTPClient(configuration: configuration)
        let response = try await client.send(HTTPClientRequest(url: "http://localhost:\(server.port)/"))
        #expect(response.text == "local")
    }

    @Test func unresolvableHost() async throws {
        var configuration = HTTPClientConfiguration()
        configuration.connectTimeout = .seconds(2)
        let client = try HTTPClient(configuration: configuration)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://no-such-host.invalid/")) }
        // .invalid never resolves (RFC 6761); without a reachable DNS server the lookup times out.
        #expect(error?.kind == .resolutionFailed || error?.kind == .connectTimeout)
    }

    @Test func invalidURLIsReported() async throws {
        let client = try HTTPClient()
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://user@example.org/")) }
        #expect(error?.kind == .invalidURL)
    }
}
