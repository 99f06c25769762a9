import Foundation
import PraxisHTTP
import Testing

/// A CA and a server certificate for `localhost` (DNS name only), made once per test run with the
/// `openssl` command-line tool.
struct ClientTestPKI: Sendable {
    let directory: String
    var caFile: String { directory + "/ca.pem" }
    var serverChain: String { directory + "/server.pem" }
    var serverKey: String { directory + "/server.key" }
    var otherCAFile: String { directory + "/other-ca.pem" }

    static let openSSLPath: String? = {
        let paths = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":")
        return paths.map { "\($0)/openssl" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }()

    static let shared: Result<ClientTestPKI, ClientTestError>? = {
        guard let openssl = openSSLPath else { return nil }
        let directory = NSTemporaryDirectory() + "praxis-client-tls-\(getpid())-\(UInt32.random(in: 0...UInt32.max))"
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try "subjectAltName=DNS:localhost\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth\n"
                .write(toFile: directory + "/server.ext", atomically: true, encoding: .utf8)
            let ec = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
            let caExtensions = ["-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign"]
            try run(openssl, ["req", "-x509"] + ec + ["-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=Praxis Test CA"] + caExtensions, in: directory)
            try run(openssl, ["req", "-x509"] + ec + ["-keyout", "other-ca.key", "-out", "other-ca.pem", "-days", "2", "-subj", "/CN=Unrelated CA"] + caExtensions, in: directory)
            try run(openssl, ["req"] + ec + ["-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=localhost"], in: directory)
            try run(openssl, ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-set_serial", "2",
                "-days", "2", "-extfile", "server.ext", "-out", "server.pem"], in: directory)
            return .success(ClientTestPKI(directory: directory))
        } catch let error as ClientTestError {
            return .failure(error)
        } catch {
            return .failure(ClientTestError("\(error)"))
        }
    }()

    private static func run(_ tool: String, _ arguments: [String], in directory: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tool)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: directory)
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let detail = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw ClientTestError("openssl \(arguments.first ?? "") failed: \(String(decoding: detail, as: UTF8.self))")
        }
    }

    static func require() throws -> ClientTestPKI {
        switch try #require(shared, "openssl CLI not found") {
        case .success(let pki): return pki
        case .failure(let error): throw error
        }
    }
}

@Suite(
    "HTTPClient over TLS",
    .enabled(if: ClientTestPKI.openSSLPath != nil, "the openssl command-line tool is not installed; TLS client tests skipped"))
struct ClientTLSTests {
    private func makeServer(_ pki: ClientTestPKI, handler: @escaping @Sendable (ClientTestRequest) -> ClientTestReply) throws -> ClientTestServer {
        let context = try ClientTestTLSContext(certificateChain: pki.serverChain, privateKey: pki.serverKey)
        return try ClientTestServer(tls: context, handler: handler)
    }

    /// Production settings, except that loopback is an allowed destination.
    private func configuration(caFile: String?) -> HTTPClientConfiguration {
        var configuration = HTTPClientConfiguration()
        configuration.addressPolicy = .allowAll
        configuration.extraCAFile = caFile
        configuration.connectTimeout = .seconds(10)
        configuration.requestTimeout = .seconds(10)
        // As in clientDevConfiguration(): a busy machine must not expire the pooled connection.
        configuration.idleConnectionTimeout = .seconds(3600)
        return configuration
    }

    @Test func succeedsWithTheExtraCA() async throws {
        let pki = try ClientTestPKI.require()
        let server = try makeServer(pki) { request in .send(clientOK("secure \(request.target)")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: configuration(caFile: pki.caFile))
        for index in 1...2 {
            let response = try await client.send(HTTPClientRequest(url: "https://localhost:\(server.port)/doc/\(index)"))
            #expect(response.text == "secure /doc/\(index)")
        }
        #expect(server.connectionCount == 1, "TLS connections are kept alive too")
        #expect(server.requests.first?.header("Host") == "localhost:\(server.port)")
    }

    @Test func failsWithoutTheExtraCA() async throws {
        let pki = try ClientTestPKI.require()
        let server = try makeServer(pki) { _ in .send(clientOK("must not be read")) }
        defer { server.stop() }
        for caFile in [nil, pki.otherCAFile] {
            let client = try HTTPClient(configuration: configuration(caFile: caFile))
            let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://localhost:\(server.port)/")) }
            guard case .tls(let detail)? = error?.kind else {
                Issue.record("expected a tls error, got \(String(describing: error))")
                continue
            }
            #expect(detail.contains("certificate"), "\(detail)")
        }
        #expect(server.requests.isEmpty)
    }

    @Test func failsOnTheWrongHostName() async throws {
        let pki = try ClientTestPKI.require()
        let server = try makeServer(pki) { _ in .send(clientOK("must not be read")) }
        defer { server.stop() }
        let client = try HTTPClient(configuration: configuration(caFile: pki.caFile))
        // The certificate names only "localhost", not the address 127.0.0.1.
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://127.0.0.1:\(server.port)/")) }
        guard case .tls(let detail)? = error?.kind else {
            Issue.record("expected a tls error, got \(String(describing: error))")
            return
        }
        #expect(detail.lowercased().contains("mismatch"), "\(detail)")
        #expect(server.requests.isEmpty)
    }

    @Test func redirectFromHTTPSToHTTPIsRefused() async throws {
        let pki = try ClientTestPKI.require()
        let server = try makeServer(pki) { _ in
            .send(clientRaw("HTTP/1.1 301 Moved\r\nLocation: http://localhost:1/\r\nContent-Length: 0\r\n\r\n"))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: configuration(caFile: pki.caFile))
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://localhost:\(server.port)/")) }
        #expect(error?.kind == .insecureScheme)
    }

    @Test func unreadableCAFileFailsAtInit() throws {
        var configuration = HTTPClientConfiguration()
        configuration.extraCAFile = "/nonexistent/praxis-ca.pem"
        do {
            _ = try HTTPClient(configuration: configuration)
            Issue.record("init must fail for a missing CA file")
        } catch let error as HTTPClientError {
            guard case .tls = error.kind else {
                Issue.record("expected a tls error, got \(error)")
                return
            }
            #expect(error.message.contains("/nonexistent/praxis-ca.pem"))
        }
    }
}
