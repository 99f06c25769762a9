import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// The read cache of thread lists, thread pages and search: a write is visible to the next read,
/// whoever made it (the API, or SQL as the command line does), and an answer built for one reader
/// is never served to another.
@Suite struct ReadCacheTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    func encoded(_ id: String) -> String { FormURLEncoding.percentEncode(id) }

    func get(_ target: String, _ token: String) async throws -> (HTTPStatus, JSON) {
        let response = try await t.call(.get, target, token: token)
        return (response.status, response.status == .ok ? try json(response) : .null)
    }

    func titles(_ target: String, _ token: String) async throws -> [String] {
        let (status, page) = try await get(target, token)
        #expect(status == .ok, "\(target)")
        return page["threads"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []
    }

    func post(_ token: String, in community: String, _ body: JSON) async throws -> String {
        let response = try await t.call(.post, "/communities/\(community)/posts", token: token, body: body)
        #expect(response.status == .created, "\(errorMessage(response) ?? "")")
        return try #require(try json(response)["id"]?.stringValue)
    }

    @Test func everyWriteIsVisibleToTheNextRead() async throws {
        try await t.accept("bob", in: "cloud")
        try await t.accept("cleo", in: "cloud")
        let bob = try await t.signIn("bob")
        let cleo = try await t.signIn("cleo")
        let q1 = try await post(bob, in: "cloud", ["title": "Q1", "content": "First", "kind": "question"])
        let list = "/communities/cloud/threads?sort=newest"
        #expect(try await titles(list, cleo) == ["Q1"])
        #expect(try await titles(list, cleo) == ["Q1"])
        #expect(try await get(list, cleo).1["threads"]?[0]?["source"] == "First", "the Markdown source, read by SQLite")

        // A cached answer is served while the counters stand still: a change made behind their
        // back (counters put back by hand) is not seen, which shows the answer came from the cache.
        try await t.store.database.write { db in
            try db.execute("""
                CREATE TEMP TABLE saved AS SELECT * FROM read_generations;
                UPDATE objects SET name = 'Q1 unseen' WHERE in_reply_to IS NULL;
                DELETE FROM read_generations;
                INSERT INTO read_generations SELECT * FROM saved;
                DROP TABLE saved;
                """)
        }
        #expect(try await titles(list, cleo) == ["Q1"])
        let page = "/threads/\(encoded(q1))"
        #expect(try await get(page, cleo).1["thread"]?["title"] == "Q1 unseen", "built after the change")
        try await t.store.database.write { db in
            try db.execute("""
                CREATE TEMP TABLE saved AS SELECT * FROM read_generations;
                UPDATE objects SET name = 'Q1 unseen twice' WHERE in_reply_to IS NULL;
                DELETE FROM read_generations;
                INSERT INTO read_generations SELECT * FROM saved;
                DROP TABLE saved;
                """)
        }
        #expect(try await get(page, cleo).1["thread"]?["title"] == "Q1 unseen", "a kept thread page")
        // An edit as the command line makes it (SQL, triggers bump the counters).
        try await t.store.database.write { db in try db.run("UPDATE objects SET name = 'Q1 renamed' WHERE id = ?", q1) }
        #expect(try await titles(list, cleo) == ["Q1 renamed"])

        // A new thread through the API.
        _ = try await post(bob, in: "cloud", ["title": "Q2", "content": "Second", "kind": "discussion"])
        #expect(Set(try await titles(list, cleo)) == ["Q2", "Q1 renamed"])

        // A thread page follows replies and helpful marks.
        #expect(try await get(page, cleo).1["replies"]?.arrayValue?.count == 0)
        let reply = try await post(bob, in: "cloud", ["content": "An answer", "inReplyTo": .string(q1)])
        #expect(try await get(page, cleo).1["replies"]?.arrayValue?.count == 1)
        #expect(try await get(page, cleo).1["replies"]?[0]?["markedHelpful"] == false)
        #expect(try await t.call(.post, "/posts/\(encoded(reply))/helpful", token: cleo, body: [:]).status == .noContent)
        let marked = try await get(page, cleo).1["replies"]?[0]
        #expect(marked?["markedHelpful"] == true)
        #expect(marked?["helpfulCount"] == 1)
        #expect(try await get(page, bob).1["replies"]?[0]?["markedHelpful"] == false, "marks are per reader")

        // Search: a new post is found by the next search.
        #expect(try await get("/search?q=zirconium", cleo).1["results"]?.arrayValue?.count == 0)
        _ = try await post(bob, in: "cloud", ["title": "Zirconium", "content": "Zirconium tubes", "kind": "question"])
        #expect(try await get("/search?q=zirconium", cleo).1["results"]?.arrayValue?.count == 1)

        // Deleting a thread hides it from the next list and page.
        try await t.store.database.write { db in try db.run("UPDATE objects SET deleted_at = 1 WHERE id = ?", q1) }
        #expect(Set(try await titles(list, cleo)) == ["Zirconium", "Q2"])
        #expect(try await get(page, cleo).0 == .notFound)
    }

    @Test func answersAreNeverSharedBetweenReaders() async throws {
        try await t.accept("cleo", in: "secret")
        let cleo = try await t.signIn("cleo")
        _ = try await post(cleo, in: "secret", ["title": "Members only", "content": "Quiet", "kind": "discussion"])
        let list = "/communities/secret/threads"
        #expect(try await titles(list, cleo) == ["Members only"])
        let bob = try await t.signIn("bob")
        #expect(try await get(list, bob).0 != .ok, "a non-member never gets a member's cached list")
        #expect(try await get("/search?q=quiet", bob).1["results"]?.arrayValue?.count ?? 0 == 0)
        #expect(try await get("/search?q=quiet", cleo).1["results"]?.arrayValue?.count == 1)

        // Losing the membership (here as SQL, as a manager's removal would) takes effect at once.
        try await t.store.database.write { db in
            try db.run("DELETE FROM follows WHERE follower = ?", t.person("cleo"))
        }
        #expect(try await get(list, cleo).0 != .ok)
        #expect(try await get("/search?q=quiet", cleo).1["results"]?.arrayValue?.count ?? 0 == 0)

        // A node blocked through the trust list disappears from a cached list at once.
        try await t.accept("cleo", in: "cloud")
        try await t.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "other.test", level: .trusted))
            try ObjectRepository(db).upsert(StoredObject(
                id: "https://other.test/objects/1", type: "Note", attributedTo: "https://other.test/users/zoe",
                audience: t.community("cloud"), inReplyTo: nil, name: "Remote", content: "<p>Hello</p>",
                published: Date(), updated: nil, document: Array("{}".utf8), originDomain: "other.test"))
        }
        #expect(try await titles("/communities/cloud/threads", cleo) == ["Remote"])
        try await t.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "other.test", level: .blocked))
        }
        #expect(try await titles("/communities/cloud/threads", cleo) == [])
    }
}

extension ReadCacheTests {
    /// Many identical requests of one member at once (one build, the others wait for it): all
    /// get the same answer, and a later edit is still seen by the next read.
    @Test func identicalRequestsAtOnceGetOneAnswer() async throws {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        let created = try json(try await t.call(.post, "/communities/cloud/posts", token: bob, body: [
            "title": "Lots", "content": "Which lots?", "kind": "question",
        ]))
        let id = try #require(created["id"]?.stringValue)
        let target = "/threads/" + encoded(id)
        let answers = try await withThrowingTaskGroup(of: (HTTPStatus, JSON).self) { group in
            for _ in 0..<24 { group.addTask { try await self.get(target, bob) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(answers.count == 24)
        #expect(answers.allSatisfy { $0.0 == .ok && $0.1 == answers[0].1 })
        #expect(try await t.call(.patch, "/posts/" + encoded(id), token: bob, body: ["content": "Which lots, and why?"]).status == .ok)
        let after = try await get(target, bob)
        #expect(after.1["thread"]?["source"]?.stringValue == "Which lots, and why?")
    }
}
