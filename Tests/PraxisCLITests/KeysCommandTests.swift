import Foundation
import PraxisCLI
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct KeysCommandTests {
    @Test func rotateKeepsRetiredKeysListedAndRefusesBadInput() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["user", "add", "--data", data, "ana"], environment: ["PRAXIS_PASSWORD": "a long passphrase"])
        #expect(status == 0, "\(out.stderr)")

        (status, out) = await praxis(["keys", "rotate", "--data", data, "--user", "ana", "--json"])
        #expect(status == 0, "\(out.stderr)")
        let rotated = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any])
        #expect(rotated["actor"] as? String == "https://praxis.test/users/ana")
        #expect(Set(rotated["current"] as? [String] ?? []) == [
            "https://praxis.test/users/ana#main-key-2", "https://praxis.test/users/ana#ed25519-key-2",
        ])
        #expect(Set(rotated["retired"] as? [String] ?? []) == [
            "https://praxis.test/users/ana#main-key", "https://praxis.test/users/ana#ed25519-key",
        ])

        // A second rotation: new ids again; every earlier key is listed with its retirement.
        (status, out) = await praxis(["keys", "rotate", "--data", data, "--user", "ana"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("ed25519-key-3"))
        (status, out) = await praxis(["keys", "list", "--data", data, "--user", "ana", "--json"])
        #expect(status == 0, "\(out.stderr)")
        let listed = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(listed.count == 6)
        #expect(listed.filter { $0["retired"] == nil }.count == 2, "one current RSA and one current Ed25519 key")
        #expect(listed.filter { $0["retired"] == nil }.allSatisfy { ($0["keyID"] as? String)?.hasSuffix("-3") == true })

        (status, out) = await praxis(["keys", "rotate", "--data", data, "--node"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("No other node knows this actor yet"))
        (status, out) = await praxis(["keys", "list", "--data", data, "--node"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("current") && out.stdout.contains("main-key-2"))

        (status, out) = await praxis(["keys", "rotate", "--data", data])
        #expect(status == 2)
        #expect(out.stderr.contains("--node, --user NAME or --community NAME"))
        (status, out) = await praxis(["keys", "rotate", "--data", data, "--node", "--user", "ana"])
        #expect(status == 2)
        (status, out) = await praxis(["keys", "rotate", "--data", data, "--community", "nowhere"])
        #expect(status == 1)
        #expect(out.stderr.contains("no community named \"nowhere\""))
        (status, out) = await praxis(["keys", "spin", "--data", data, "--node"])
        #expect(status == 2)
        (status, out) = await praxis(["keys", "--help"])
        #expect(status == 0)
        #expect(out.stdout.contains("praxis keys rotate"))
    }
}
