import Foundation
import PraxisHTTP
import Synchronization
import Testing

/// A resolver with a fixed table, counting its lookups; `later` answers every lookup after the first.
final class TableResolver: HostResolver {
    private let table: [String: [IPAddress]]
    private let later: [String: [IPAddress]]
    private let lookups = Mutex(0)

    init(_ table: [String: [String]], later: [String: [String]] = [:]) {
        self.table = table.mapValues { $0.compactMap(IPAddress.init) }
        self.later = later.mapValues { $0.compactMap(IPAddress.init) }
    }

    var count: Int { lookups.withLock { $0 } }

    func addresses(for host: String) throws -> [IPAddress] {
        let first = lookups.withLock { count in
            count += 1
            return count == 1
        }
        guard let answer = (first ? nil : later[host]) ?? table[host] else {
            throw HTTPClientError(.resolutionFailed, "\(host) is not in the test table")
        }
        return answer
    }
}

/// Names that resolve to internal addresses, through an injected ``HostResolver``.
@Suite("HTTPClient with an injected resolver")
struct ClientResolverTests {
    private func client(_ resolver: some HostResolver, policy: AddressPolicy = .publicOnly) throws -> HTTPClient {
        var configuration = HTTPClientConfiguration()
        configuration.resolver = resolver
        configuration.addressPolicy = policy
        configuration.allowInsecureAndPrivate = true  // plain http to the test server; the policy above still applies
        configuration.connectTimeout = .seconds(5)
        return try HTTPClient(configuration: configuration)
    }

    @Test("a name is refused when any of its addresses is internal", arguments: [
        ("intranet.example", ["10.0.0.5"]), ("rebind.example", ["127.0.0.1"]),
        ("mixed.example", ["93.184.216.34", "127.0.0.1"]), ("metadata.example", ["169.254.169.254"]),
        ("mapped.example", ["2606:4700::1", "::ffff:127.0.0.1"]),
    ])
    func internalAnswersAreRefused(_ name: String, _ answer: [String]) async throws {
        let server = try ClientTestServer { _ in .send(clientOK("must not be reached")) }
        defer { server.stop() }
        let resolver = TableResolver([name: answer])
        let client = try client(resolver)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "http://\(name):\(server.port)/")) }
        guard case .forbiddenAddress(let host, let address)? = error?.kind else {
            Issue.record("expected forbiddenAddress for \(name), got \(String(describing: error))")
            return
        }
        #expect(host == name)
        #expect(!address.isPublic)
        #expect(error?.message.contains("\(name) resolves to \(address), which this node may not contact") == true)
        #expect(server.connectionCount == 0)
    }

    /// The address checked is the address connected to: the client resolves once per connection
    /// and never again between the check and the connect, so a name that answers an allowed
    /// address first and loopback afterwards (DNS rebinding) still leads to the allowed one.
    @Test func theCheckedAddressIsTheOneConnectedTo() async throws {
        let allowed = try ClientTestServer(address: 0x7F00_0002) { _ in
            .sendAndClose(clientOK("allowed", headers: "Connection: close\r\n"))
        }
        defer { allowed.stop() }
        let canary = try ClientTestServer(address: 0x7F00_0001, port: allowed.port) { _ in .send(clientOK("canary")) }
        defer { canary.stop() }
        let resolver = TableResolver(["flip.example": ["127.0.0.2"]], later: ["flip.example": ["127.0.0.1"]])
        let policy = AddressPolicy.publicOnly(allowing: [try #require(IPNetwork("127.0.0.2/32"))])
        let client = try client(resolver, policy: policy)
        let response = try await client.send(HTTPClientRequest(url: "http://flip.example:\(allowed.port)/"))
        #expect(response.text == "allowed")
        #expect(resolver.count == 1)
        #expect(canary.connectionCount == 0)
        // A new connection resolves again, and this time the answer is refused before connecting.
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "http://flip.example:\(allowed.port)/")) }
        #expect(error?.kind == .forbiddenAddress(host: "flip.example", address: .v4(0x7F00_0001)))
        #expect(resolver.count == 2)
        #expect(canary.connectionCount == 0)
    }

    @Test func aSlowResolverIsBoundedByTheConnectTimeout() async throws {
        struct Stuck: HostResolver {
            func addresses(for host: String) throws -> [IPAddress] {
                Thread.sleep(forTimeInterval: 20)
                return [.v4(0x7F00_0001)]
            }
        }
        var configuration = HTTPClientConfiguration()
        configuration.resolver = Stuck()
        configuration.connectTimeout = .milliseconds(300)
        let client = try HTTPClient(configuration: configuration)
        let error = await clientError { _ = try await client.send(HTTPClientRequest(url: "https://slow.example/")) }
        // Not `.forbiddenAddress`: the client stopped waiting at the deadline instead of taking
        // the lookup's late answer (which the default policy would refuse).
        #expect(error?.kind == .connectTimeout)
    }
}

@Suite("IPNetwork and allowed private networks")
struct IPNetworkTests {
    @Test func parsesAndMatches() throws {
        let intranet = try #require(IPNetwork("10.20.0.0/16"))
        #expect(intranet.contains(try #require(IPAddress("10.20.255.1"))))
        #expect(intranet.contains(try #require(IPAddress("::ffff:10.20.0.9"))))
        #expect(!intranet.contains(try #require(IPAddress("10.21.0.1"))))
        #expect(try #require(IPNetwork("fd12:3456::/48")).contains(try #require(IPAddress("fd12:3456:0:1::5"))))
        #expect(IPNetwork("127.0.0.2")?.prefixLength == 32)
        for bad in ["10.0.0.0/33", "10.0.0.0/", "10.0.0.0/+8", "localhost", "10.0.0.0/8/8", "::1/129", ""] {
            #expect(IPNetwork(bad) == nil, "\(bad)")
        }
        #expect(try #require(IPNetwork("10.20.0.5/16")).hasHostBits)
        #expect(try #require(IPNetwork("10.20.0.0/16")).hasHostBits == false)
        #expect(try #require(IPNetwork("fd12:3456::1/48")).hasHostBits)
    }

    @Test func allowedNetworksOpenOnlyThemselves() throws {
        let policy = AddressPolicy.publicOnly(allowing: [
            try #require(IPNetwork("10.20.0.0/16")), try #require(IPNetwork("127.0.0.2/32")),
            try #require(IPNetwork("169.254.0.0/16")), try #require(IPNetwork("fd00::/8")),
        ])
        for allowed in ["10.20.1.2", "127.0.0.2", "93.184.216.34", "::ffff:10.20.0.1", "169.254.1.1", "fd12::1"] {
            #expect(policy.allows(try #require(IPAddress(allowed))), "\(allowed)")
        }
        // Outside the list, and the metadata services even inside an allowed range.
        for refused in ["10.21.0.1", "127.0.0.1", "::1", "192.168.0.1", "169.254.169.254", "fd00:ec2::254", "::ffff:127.0.0.1"] {
            #expect(!policy.allows(try #require(IPAddress(refused))), "\(refused)")
        }
    }
}
