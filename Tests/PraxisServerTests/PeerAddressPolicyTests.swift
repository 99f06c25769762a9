import PraxisHTTP
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// `allowedPrivateNetworks` in `config.json`: checked strictly when the node starts, and turned
/// into the outgoing client's address policy.
@Suite struct PeerAddressPolicyTests {
    @Test func productionNodesReachPublicAddressesAndTheAllowedNetworksOnly() throws {
        var configuration = NodeConfiguration(domain: "praxis.test", name: "Test")
        configuration.allowedPrivateNetworks = ["10.20.0.0/16", "127.0.0.2/32", "fd12:3456::/48"]
        let policy = try #require(try PeerAddressPolicy.policy(for: configuration))
        for allowed in ["10.20.9.9", "127.0.0.2", "fd12:3456::7", "93.184.216.34"] {
            #expect(policy.allows(try #require(IPAddress(allowed))), "\(allowed)")
        }
        for refused in ["10.21.0.1", "127.0.0.1", "169.254.169.254", "192.168.1.1", "::1"] {
            #expect(!policy.allows(try #require(IPAddress(refused))), "\(refused)")
        }
        configuration.allowedPrivateNetworks = nil
        #expect(!(try #require(try PeerAddressPolicy.policy(for: configuration))).allows(try #require(IPAddress("10.20.9.9"))))
        // Development mode keeps the client's own default (everything, plain http included).
        #expect(try PeerAddressPolicy.policy(for: NodeConfiguration(domain: "127.0.0.1:8001", name: "Dev", development: true)) == nil)
    }

    @Test("a bad entry is refused with what to write instead", arguments: [
        ("10.20.0.0", "is not a network"), ("intranet", "is not a network"), ("10.20.0.0/33", "is not a network"),
        ("10.20.0.5/16", "has bits set beyond its /16 prefix"), ("8.8.8.0/24", "is public"),
        ("169.254.0.0/16", "covers the cloud metadata address 169.254.169.254"), ("0.0.0.0/0", "covers the cloud metadata"),
        ("fd00::/8", "covers the cloud metadata address fd00:ec2::254"),
    ])
    func badEntries(_ entry: String, _ reason: String) {
        do {
            _ = try PeerAddressPolicy.allowedNetworks([entry])
            Issue.record("\(entry) was accepted")
        } catch {
            #expect("\(error)".contains("allowedPrivateNetworks entry \"\(entry)\" \(reason)"), "\(error)")
        }
    }

    @Test func aNodeWithABadEntryDoesNotStart() throws {
        let node = try TestStore()
        let directory = DataDirectory(path: node.temporary.appending("node"))
        var configuration = node.store.configuration
        configuration.allowedPrivateNetworks = ["10.20.0.0/16", "192.168.1.7/24"]
        try configuration.save(to: directory)
        #expect(throws: StorageError.invalidValue(
            "allowedPrivateNetworks entry \"192.168.1.7/24\" has bits set beyond its /24 prefix; write the network it starts (such as 10.20.0.0/16) or one host (/32)"
        )) {
            _ = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: 0))
        }
    }
}
