import COpenSSL
import Foundation
import Testing

@testable import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// TLS termination, with a self-signed certificate made by the `openssl` command at test time.
@Suite struct ServerTLSTests {
    static let opensslPath: String? = ["/usr/bin/openssl", "/usr/local/bin/openssl", "/bin/openssl"].first {
        access($0, X_OK) == 0
    }

    /// Creates a certificate and key in a fresh directory; returns their paths.
    func makeCertificate() throws -> (directory: String, cert: String, key: String) {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let process = Process()
        process.executableURL = URL(fileURLWithPath: Self.opensslPath ?? "openssl")
        process.arguments = [
            "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes", "-days", "1",
            "-subj", "/CN=localhost", "-keyout", "\(directory)/key.pem", "-out", "\(directory)/cert.pem",
        ]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw RawClientError("openssl req failed") }
        return (directory, "\(directory)/cert.pem", "\(directory)/key.pem")
    }

    /// A TLS client for one connection; reads block a thread of their own (see `offPool`).
    ///
    /// `@unchecked Sendable`: used by one test from one task at a time, each read awaited.
    final class TLSClient: @unchecked Sendable {
        let raw: RawClient
        let context: OpaquePointer
        let ssl: OpaquePointer

        init(port: Int, maxVersion: Int32 = 0) throws {
            raw = try RawClient(port: port)
            // Generous: reached only when the server fails to answer.
            var timeout = timeval(tv_sec: 15, tv_usec: 0)
            setsockopt(raw.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            guard let ctx = SSL_CTX_new(TLS_client_method()) else { throw RawClientError("SSL_CTX_new") }
            context = ctx
            SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nil)  // self-signed test certificate
            if maxVersion != 0 { _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(maxVersion), nil) }
            guard let ssl = SSL_new(ctx) else { throw RawClientError("SSL_new") }
            self.ssl = ssl
            SSL_set_fd(ssl, raw.fd)
            guard SSL_connect(ssl) == 1 else { throw RawClientError("TLS handshake failed") }
        }

        deinit {
            SSL_free(ssl)
            SSL_CTX_free(context)
        }

        var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

        func send(_ text: String) throws {
            let bytes = Array(text.utf8)
            guard bytes.withUnsafeBytes({ SSL_write(ssl, $0.baseAddress, Int32($0.count)) }) == bytes.count else {
                throw RawClientError("SSL_write failed")
            }
        }

        /// Reads until `count` complete responses (by Content-Length) have arrived; returns the text.
        func receive(responses count: Int) async throws -> String {
            try await offPool { try self.receiveNow(responses: count) }
        }

        private func receiveNow(responses count: Int) throws -> String {
            var data: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 16384)
            while countResponses(data) < count {
                let n = buffer.withUnsafeMutableBytes { SSL_read(ssl, $0.baseAddress, Int32($0.count)) }
                guard n > 0 else { throw RawClientError("SSL_read failed") }
                data.append(contentsOf: buffer[0..<Int(n)])
            }
            return String(decoding: data, as: UTF8.self)
        }

        private func countResponses(_ data: [UInt8]) -> Int {
            var text = String(decoding: data, as: UTF8.self)[...]
            var found = 0
            while let headEnd = text.range(of: "\r\n\r\n") {
                let head = text[..<headEnd.lowerBound]
                let length = head.split(separator: "\r\n").first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                let rest = text[headEnd.upperBound...]
                guard rest.utf8.count >= length else { break }
                text = rest.dropFirst(length)
                found += 1
            }
            return found
        }
    }

    @Test func servesOverTLS() async throws {
        guard Self.opensslPath != nil else {
            print("ServerTLSTests skipped: the openssl command is not on this machine")
            return
        }
        let files = try makeCertificate()
        defer { try? FileManager.default.removeItem(atPath: files.directory) }
        try await withServer({ $0.tls = TLSServerConfiguration(certificateChainPath: files.cert, privateKeyPath: files.key) }) { server in
            let client = try TLSClient(port: server.port)
            #expect(client.protocolVersion == "TLSv1.3")
            // Keep-alive and pipelining work the same over TLS.
            try client.send("GET /hello/tls HTTP/1.1\r\nHost: t\r\n\r\nPOST /echo HTTP/1.1\r\nHost: t\r\nContent-Length: 4\r\n\r\nbody")
            let text = try await client.receive(responses: 2)
            #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"))
            #expect(text.contains("\r\n\r\nhello tls"))
            #expect(text.hasSuffix("\r\n\r\nbody"))
            // A large response crosses many TLS records and partial writes.
            let big = String(repeating: "z", count: 300_000)
            try client.send("POST /large HTTP/1.1\r\nHost: t\r\nContent-Length: \(big.utf8.count)\r\n\r\n\(big)")
            #expect(try await client.receive(responses: 1).hasSuffix("\r\n\r\n300000"))

            let tls12 = try TLSClient(port: server.port, maxVersion: TLS1_2_VERSION)
            #expect(tls12.protocolVersion == "TLSv1.2")
            try tls12.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await tls12.receive(responses: 1).hasSuffix("\r\n\r\nok"))

            // Plain HTTP on the TLS port fails the handshake; the server carries on.
            let plain = try RawClient(port: server.port)
            try plain.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(await plain.waitForClose())
            let again = try TLSClient(port: server.port)
            try again.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await again.receive(responses: 1).hasSuffix("\r\n\r\nok"))
        }
    }

    @Test func missingCertificateIsAClearError() throws {
        var configuration = HTTPServerConfiguration()
        configuration.tls = TLSServerConfiguration(certificateChainPath: "/nonexistent/cert.pem", privateKeyPath: "/nonexistent/key.pem")
        let server = HTTPServer(configuration: configuration, responder: Router())
        #expect {
            try server.start()
        } throws: { error in
            (error as? HTTPServerError)?.message.contains("/nonexistent/cert.pem") == true
        }
    }
}
