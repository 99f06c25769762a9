import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Synchronization
import Testing

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A sending node killed with SIGKILL in the middle of delivering 1,000 activities resumes after
/// a restart: the receiver ends up with every activity, each stored and processed once.
@Suite(.serialized) struct CrashRecoveryTests {
    static let total = 1_000

    func serve(_ f: FederationFixture, _ index: Int) throws -> Process {
        let process = Process()
        process.executableURL = DemoTests.productsDirectory.appendingPathComponent("praxis")
        process.arguments = ["serve", "--data", f.directory(index).root.path, "--quiet"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test(.timeLimit(.minutes(3))) func senderKilledMidDeliveryResumesWithNothingLostOrDoubled() async throws {
        let binary = DemoTests.productsDirectory.appendingPathComponent("praxis")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the praxis executable first")
        let f = try FederationFixture(nodes: 2)
        try f.addMember("ana", on: 0)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        let ana = f.base(0) + "/users/ana"
        try await f.node(0).federation.social.follow(member: "ana", target: community)
        try await f.eventually("ana's follow is accepted") {
            try await f.read(0) { db in try FollowRepository(db).find(follower: ana, followed: community)?.state == .accepted }
        }
        await f.stop(0)

        // Queue 1,000 posts on the stopped sender.
        let sender = try f.open(0)
        var ids = Set<String>()
        for n in 1...Self.total {
            ids.insert(try await sender.federation.social.post(member: "ana", community: community, content: "Case \(n)").id)
        }
        let expected = ids
        let received: @Sendable () async throws -> Int = {
            try await f.read(1) { db in
                try db.scalar(Int.self, "SELECT count(*) FROM objects WHERE attributed_to = ?", ana) ?? 0
            }
        }

        // Deliver from a real process, and kill it with SIGKILL part-way through.
        var process = try serve(f, 0)
        try await f.eventually("the first deliveries arrive", seconds: 60) { try await received() >= 50 }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let atKill = try await received()
        #expect(atKill < Self.total, "the sender was killed after it had delivered everything (\(atKill))")

        process = try serve(f, 0)
        defer { if process.isRunning { process.terminate() } }
        try await f.eventually("everything arrives after the restart", seconds: 90) { try await received() == Self.total }

        let (stored, creates, dead) = try await f.read(1) { db in
            (Set(try db.query("SELECT id FROM objects WHERE attributed_to = ?", ana).map { try $0.get("id", as: String.self) }),
             try db.scalar(Int.self,
                           "SELECT count(*) FROM inbox_activities WHERE actor_id = ? AND json_extract(CAST(body AS TEXT), '$.type') = 'Create'",
                           ana) ?? 0,
             try db.scalar(Int.self, "SELECT count(*) FROM dead_letters") ?? 0)
        }
        #expect(stored == expected, "every post arrived")
        #expect(creates == Self.total, "each Create was stored once, duplicates were only acknowledged")
        #expect(dead == 0)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
    }
}
