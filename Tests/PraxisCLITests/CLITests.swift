import Foundation
import PraxisCLI
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

/// Captures what a command prints.
final class Captured: Sendable {
    let out = Mutex<[String]>([])
    let err = Mutex<[String]>([])

    func console(environment: [String: String] = [:], secret: String? = nil) -> Console {
        Console(
            out: { line in self.out.withLock { $0.append(line) } },
            err: { line in self.err.withLock { $0.append(line) } },
            environment: environment,
            readSecret: { _ in secret })
    }

    var stdout: String { out.withLock { $0.joined(separator: "\n") } }
    var stderr: String { err.withLock { $0.joined(separator: "\n") } }
}

func praxis(_ words: [String], environment: [String: String] = [:], secret: String? = nil) async -> (Int32, Captured) {
    let captured = Captured()
    let status = await PraxisCLI.run(["praxis"] + words, console: captured.console(environment: environment, secret: secret))
    return (status, captured)
}

@Suite struct CLITests {
    @Test func initUserAndCommunityCommands() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test", "--name", "Test node"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("https://praxis.test"))

        (status, out) = await praxis(["user", "add", "--data", data, "ana", "--role", "admin", "--display-name", "Ana"],
                                     environment: ["PRAXIS_PASSWORD": "a long passphrase"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["user", "add", "--data", data, "bob"], secret: "another passphrase")
        #expect(status == 0, "\(out.stderr)")

        (status, out) = await praxis(["user", "list", "--data", data, "--json"])
        #expect(status == 0)
        let listed = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]
        #expect(listed?.compactMap { $0["name"] as? String } == ["ana", "bob"])
        #expect(listed?.first?["role"] as? String == "admin")
        #expect(listed?.first?["status"] as? String == "active")

        (status, out) = await praxis(["community", "create", "--data", data, "health", "--title", "Health", "--owner", "ana",
                                      "--visibility", "members", "--join", "invite", "--theme", "sector", "--languages", "fr,nl"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["community", "list", "--data", data, "--json"])
        let communities = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]
        #expect(communities?.first?["theme"] as? String == "sector")
        #expect(communities?.first?["languages"] as? [String] == ["fr", "nl"])
        (status, out) = await praxis(["community", "create", "--data", data, "bad", "--theme", "hobby"])
        #expect(status != 0)
        #expect(out.stderr.contains("sector, purchasingNetwork, project, topic"))
        (status, out) = await praxis(["community", "list", "--data", data])
        #expect(status == 0)
        #expect(out.stdout.contains("health"))
        #expect(out.stdout.contains("members"))

        (status, out) = await praxis(["user", "suspend", "--data", data, "bob"])
        #expect(status == 0)
        (status, out) = await praxis(["user", "list", "--data", data])
        #expect(out.stdout.contains("suspended"))
    }

    @Test func badInputExitsNonZeroWithAClearMessageAndKeepsData() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        let cases: [([String], String)] = [
            (["init", "--domain", "praxis.test"], "--data"),
            (["init", "--data", data], "--domain"),
            (["init", "--data", data, "--domain", "Bad Domain"], "invalid domain"),
            (["init", "--data", data, "--domain", "x.test", "--federation", "sometimes"], "allowlist, open"),
            (["init", "--data", data, "--domain", "x.test", "--colour"], "unknown option --colour"),
            (["frobnicate"], "unknown command"),
            (["user", "list", "--data", temp.appending("nothing")], "praxis init"),
            (["serve", "--data", data, "--listen", "nowhere"], "ADDR:PORT"),
        ]
        for (words, expected) in cases {
            let (status, out) = await praxis(words)
            #expect(status != 0, "\(words) succeeded")
            #expect(out.stderr.contains(expected), "\(words): \(out.stderr)")
        }

        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0)
        (status, out) = await praxis(["init", "--data", data, "--domain", "other.test"])
        #expect(status != 0)
        #expect(out.stderr.contains("already holds a Praxis node"))
        (status, out) = await praxis(["user", "add", "--data", data, "ana"])
        #expect(status != 0)
        #expect(out.stderr.contains("PRAXIS_PASSWORD"))
        (status, out) = await praxis(["user", "add", "--data", data, "ana"], environment: ["PRAXIS_PASSWORD": "short"])
        #expect(status != 0)
        #expect(out.stderr.contains("at least 10"))
        (status, out) = await praxis(["user", "add", "--data", data, "ana", "--role", "king"],
                                     environment: ["PRAXIS_PASSWORD": "a long passphrase"])
        #expect(out.stderr.contains("admin, moderator, member"))
        (status, out) = await praxis(["community", "create", "--data", data, "x", "--owner", "ghost"])
        #expect(status != 0)
        #expect(out.stderr.contains("ghost"))
        (status, out) = await praxis(["user", "approve", "--data", data, "ghost"])
        #expect(status != 0)

        // The node's configuration survived every refusal.
        let store = try NodeStore(directory: DataDirectory(path: data))
        #expect(store.configuration.domain == "praxis.test")
    }

    @Test func trustListCommands() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0)
        (status, out) = await praxis(["trust", "add", "--data", data, "Partner.Example:8443", "--level", "trusted",
                                      "--note", "national partner"])
        #expect(status == 0, "\(out.stderr)")
        (status, out) = await praxis(["trust", "add", "--data", data, "spam.example", "--level", "blocked"])
        #expect(status == 0)
        (status, out) = await praxis(["trust", "add", "--data", data, "partner.example:8443", "--level", "limited"])
        #expect(status == 0)
        (status, out) = await praxis(["trust", "list", "--data", data, "--json"])
        let listed = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [[String: Any]]
        #expect(listed?.compactMap { $0["domain"] as? String } == ["partner.example:8443", "spam.example"])
        #expect(listed?.first?["level"] as? String == "limited")
        (status, out) = await praxis(["trust", "remove", "--data", data, "spam.example"])
        #expect(status == 0)
        #expect(out.stdout.contains("now blocked (allowlist mode)"))
        (status, out) = await praxis(["trust", "list", "--data", data])
        #expect(!out.stdout.contains("spam.example"))

        for (words, expected) in [
            (["trust", "add", "--data", data, "bad domain", "--level", "trusted"], "invalid domain"),
            (["trust", "add", "--data", data, "x.example"], "--level"),
            (["trust", "add", "--data", data, "x.example", "--level", "friendly"], "blocked, limited, trusted"),
            (["trust", "add", "--data", data, "praxis.test", "--level", "blocked"], "this node itself"),
            (["trust", "remove", "--data", data, "never.example"], "not on the trust list"),
            (["trust", "frob"], "unknown subcommand"),
        ] {
            let (status, out) = await praxis(words)
            #expect(status != 0, "\(words)")
            #expect(out.stderr.contains(expected), "\(words): \(out.stderr)")
        }
    }

    @Test func communityRoles() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0)
        for name in ["ana", "bob"] {
            (status, out) = await praxis(["user", "add", "--data", data, name], environment: ["PRAXIS_PASSWORD": "a long passphrase"])
        }
        (status, out) = await praxis(["community", "create", "--data", data, "works", "--owner", "ana"])
        #expect(status == 0)
        (status, out) = await praxis(["community", "role", "--data", data, "works", "bob", "--role", "moderator"])
        #expect(status != 0)
        #expect(out.stderr.contains("must be a member"))
        let store = try NodeStore(directory: DataDirectory(path: data))
        try await store.database.write { db in
            try FollowRepository(db).upsert(Follow(
                follower: "https://praxis.test/users/bob", followed: "https://praxis.test/communities/works", followerInbox: nil,
                followerDomain: "praxis.test", followedDomain: "praxis.test", state: .accepted,
                activityID: "https://praxis.test/activities/1"))
        }
        (status, out) = await praxis(["community", "role", "--data", data, "works", "bob", "--role", "moderator"])
        #expect(status == 0, "\(out.stderr)")
        #expect(out.stdout.contains("bob is now moderator of works"))
        let role = try await store.database.read { db in
            try CommunityRoleRepository(db).role(
                of: "https://praxis.test/users/bob", communityID: try #require(try CommunityRepository(db).find(username: "works")).actor.id)
        }
        #expect(role == .moderator)
        (status, out) = await praxis(["community", "role", "--data", data, "works", "bob", "--role", "king"])
        #expect(out.stderr.contains("manager, moderator, none"))
        (status, out) = await praxis(["community", "role", "--data", data, "works", "bob", "--role", "none"])
        #expect(status == 0)
    }

    @Test func federationStatusCommands() async throws {
        let temp = TemporaryDirectory()
        let data = temp.appending("node")
        var (status, out) = await praxis(["init", "--data", data, "--domain", "praxis.test"])
        #expect(status == 0)
        (status, out) = await praxis(["federation", "status", "--data", data])
        #expect(status == 0)
        #expect(out.stdout.contains("Inbox: 0 waiting, 0 dead letters"))
        #expect(out.stdout.contains("nothing queued"))
        (status, out) = await praxis(["federation", "status", "--data", data, "--json"])
        let parsed = try JSONSerialization.jsonObject(with: Data(out.stdout.utf8)) as? [String: Any]
        #expect(parsed?["inboxPending"] as? Int == 0)
        (status, out) = await praxis(["federation", "dead-letters", "--data", data])
        #expect(out.stdout.contains("No dead letters"))
        (status, out) = await praxis(["federation", "failures", "--data", data])
        #expect(out.stdout.contains("No failed deliveries"))
        (status, out) = await praxis(["federation", "failures", "--data", data, "--limit", "0"])
        #expect(status != 0)
        (status, out) = await praxis(["federation", "purge", "--data", data])
        #expect(status != 0)
        #expect(out.stderr.contains("unknown subcommand"))
    }

    @Test(arguments: ["init", "serve", "demo", "user", "community", "trust", "federation"])
    func everyCommandHasHelp(_ command: String) async {
        let (status, out) = await praxis([command, "--help"])
        #expect(status == 0)
        #expect(out.stdout.contains("Usage: praxis \(command)"))
    }

    @Test func noCommandPrintsOverviewAndFails() async {
        let (status, out) = await praxis([])
        #expect(status == 2)
        #expect(out.stderr.contains("Commands:"))
    }
}
