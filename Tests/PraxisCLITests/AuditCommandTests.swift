import Foundation
import PraxisCLI
import PraxisStorage
import PraxisTestSupport
import Testing

/// The operators' audit log: trust changes, accounts added, approved, refused and suspended, and
/// role changes are recorded with who did them, and `praxis audit list` shows them.
@Suite struct AuditCommandTests {
    @Test func operatorCommandsWriteTheAuditLog() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        let operatorEnvironment = ["PRAXIS_OPERATOR": "jeanne", "PRAXIS_PASSWORD": "a long passphrase"]
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["audit", "list", "--data", data])
        #expect(status == 0)
        #expect(out.stdout.contains("empty"))

        (status, out) = await praxis(["user", "add", "--data", data, "ana", "--role", "admin"], environment: operatorEnvironment)
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["trust", "add", "--data", data, "partner.example", "--level", "trusted"],
                                     environment: operatorEnvironment)
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["trust", "remove", "--data", data, "partner.example"], environment: operatorEnvironment)
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["user", "suspend", "--data", data, "ana"], environment: operatorEnvironment)
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["user", "approve", "--data", data, "ana"], environment: ["USER": "root"])
        #expect(status == 0, "\(out.stderr)")
        // A refused command leaves no entry.
        (status, out) = await praxis(["user", "suspend", "--data", data, "ghost"], environment: operatorEnvironment)
        #expect(status != 0)
        (status, out) = await praxis(["community", "create", "--data", data, "health", "--owner", "ana"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["community", "role", "--data", data, "health", "ana", "--role", "none"],
                                     environment: operatorEnvironment)
        #expect(status == 0, "\(out.stderr)")

        (status, out) = await praxis(["audit", "list", "--data", data, "--json"])
        #expect(status == 0, "\(out.stderr)")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]])
        #expect(entries.compactMap { $0["action"] as? String }
            == ["community.role", "user.approve", "user.suspend", "trust.remove", "trust.set", "user.add"])
        #expect(entries.compactMap { $0["operator"] as? String } == ["jeanne", "root", "jeanne", "jeanne", "jeanne", "jeanne"])
        #expect(entries.first?["target"] as? String == "ana in health")
        #expect(entries[4]["detail"] as? String == "trusted")

        (status, out) = await praxis(["audit", "list", "--data", data, "--limit", "2"])
        #expect(status == 0)
        #expect(out.stdout.contains("community.role") && out.stdout.contains("user.approve"))
        #expect(!out.stdout.contains("trust.set"))
        // The filters of GET /api/v1/audit-log, from the same query.
        (status, out) = await praxis(["audit", "list", "--data", data, "--action", "trust", "--json"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("trust.remove") && out.stdout.contains("trust.set") && !out.stdout.contains("user."))
        (status, out) = await praxis(["audit", "list", "--data", data, "--actor", "root", "--json"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("user.approve") && !out.stdout.contains("trust."))
        (status, out) = await praxis(["audit", "list", "--data", data, "--since", "yesterday"])
        #expect(status == 2)
        #expect(out.stderr.contains("--since") && out.stderr.contains("RFC 3339"))
        (status, out) = await praxis(["audit", "purge", "--data", data])
        #expect(status == 2)
    }
}
