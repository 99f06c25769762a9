import PraxisHTTP
import Synchronization
import Testing

@Suite("HTTPClient redirects")
struct ClientRedirectTests {
    private func redirect(_ code: Int, to location: String) -> ClientTestReply {
        .send(clientRaw("HTTP/1.1 \(code) Moved\r\nLocation: \(location)\r\nContent-Length: 4\r\n\r\nmove"))
    }

    @Test func followsAChainAndCallsPrepareOnEachHop() async throws {
        let server = try ClientTestServer { request in
            switch request.target {
            case "/a": self.redirect(301, to: "/b?step=2")
            case "/b?step=2": self.redirect(307, to: "c")
            default: .send(clientOK("arrived via \(request.header("Signature") ?? "none")"))
            }
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let hops = Mutex<[String]>([])
        let response = try await client.send(
            HTTPClientRequest(url: "\(server.base)/a", headers: ["Signature": "for-a"]),
            prepare: { request in
                hops.withLock { $0.append(request.url) }
                request.headers["Signature"] = "for-\(request.url.split(separator: "/").last ?? "")"
            })
        #expect(response.status.code == 200)
        #expect(response.url == "\(server.base)/c")
        #expect(response.text == "arrived via for-c")
        #expect(hops.withLock { $0 } == ["\(server.base)/b?step=2", "\(server.base)/c"])
        #expect(server.requests.map(\.target) == ["/a", "/b?step=2", "/c"])
        #expect(server.requests.map { $0.header("Signature") ?? "" } == ["for-a", "for-b?step=2", "for-c"])
        #expect(server.connectionCount == 1, "redirects on the same origin reuse the connection")
    }

    @Test func redirectsAreCapped() async throws {
        let server = try ClientTestServer { _ in self.redirect(302, to: "/loop") }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.maxRedirects = 3
        let client = try HTTPClient(configuration: configuration)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/start")) }
        #expect(error?.kind == .tooManyRedirects)
        #expect(server.requests.count == 4, "the first request plus three redirects")
    }

    @Test func redirectsNotFollowedWhenAsked() async throws {
        let server = try ClientTestServer { _ in self.redirect(308, to: "/elsewhere") }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(HTTPClientRequest(url: "\(server.base)/x"), followRedirects: false) { _ in
            Issue.record("prepare must not be called when redirects are not followed")
        }
        #expect(response.status.code == 308)
        #expect(response.headers["Location"] == "/elsewhere")
        #expect(response.url == "\(server.base)/x")
        #expect(server.requests.count == 1)
    }

    @Test func seeOtherTurnsPostIntoGet() async throws {
        let server = try ClientTestServer { request in
            request.target == "/inbox" ? self.redirect(303, to: "/result") : .send(clientOK(request.requestLine))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(
            HTTPClientRequest(method: .post, url: "\(server.base)/inbox", headers: ["Content-Type": "text/plain"], body: [65]))
        #expect(response.text == "GET /result HTTP/1.1")
        let second = try #require(server.requests.last)
        #expect(second.body.isEmpty && second.header("Content-Type") == nil && second.header("Content-Length") == nil)
    }

    @Test func temporaryRedirectKeepsMethodAndBody() async throws {
        let server = try ClientTestServer { request in
            request.target == "/old" ? self.redirect(307, to: "/new") : .send(clientOK(String(decoding: request.body, as: UTF8.self)))
        }
        defer { server.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(HTTPClientRequest(method: .put, url: "\(server.base)/old", body: Array("data".utf8)))
        #expect(response.text == "data")
        #expect(server.requests.last?.requestLine == "PUT /new HTTP/1.1")
    }

    @Test func redirectToAForbiddenAddressIsRefused() async throws {
        let server = try ClientTestServer { request in
            self.redirect(302, to: "http://127.0.0.2:\(request.header("Host")?.split(separator: ":").last ?? "1")/internal")
        }
        defer { server.stop() }
        var configuration = clientDevConfiguration()
        configuration.addressPolicy = AddressPolicy { $0 == .v4(0x7F00_0001) }
        let client = try HTTPClient(configuration: configuration)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "\(server.base)/")) }
        #expect(error?.kind == .forbiddenAddress(host: "127.0.0.2", address: .v4(0x7F00_0002)))
        #expect(server.requests.count == 1)
    }

    @Test func credentialsAreDroppedWhenLeavingTheOrigin() async throws {
        let target = try ClientTestServer { request in .send(clientOK(request.header("Authorization") ?? "no credentials")) }
        defer { target.stop() }
        let origin = try ClientTestServer { _ in self.redirect(302, to: "http://localhost:\(target.port)/") }
        defer { origin.stop() }
        let client = try HTTPClient(configuration: clientDevConfiguration())
        let response = try await client.send(
            HTTPClientRequest(url: "\(origin.base)/", headers: ["Authorization": "Bearer secret"]))
        #expect(response.text == "no credentials")
    }
}
