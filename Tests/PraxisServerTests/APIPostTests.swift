import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// Posting, listing, editing and deleting through the client API.
@Suite struct APIPostTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    func path(_ id: String) -> String { "/posts/" + FormURLEncoding.percentEncode(id) }

    @Test func membersPostAndEveryoneAllowedReadsNewestFirstInPages() async throws {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        var ids: [String] = []
        for i in 1...5 {
            let response = try await t.call(.post, "/communities/cloud/posts", token: bob,
                                            body: ["content": .string("Question \(i)"), "title": i == 1 ? "First" : nil])
            #expect(response.status == .created)
            let post = try json(response)
            #expect(post["community"] == "https://praxis.test/communities/cloud")
            #expect(post["author"] == "https://praxis.test/users/bob")
            ids.append(try #require(post["id"]?.stringValue))
        }
        // Posts made within one second share a timestamp; spread them so "newest" is unambiguous.
        let spread = ids
        try await t.store.database.write { db in
            for (i, id) in spread.enumerated() {
                try db.run("UPDATE objects SET published = ? WHERE id = ?", Int64(1_700_000_000 + i * 60), id)
            }
        }
        #expect(try json(try await t.call(.get, "/communities/cloud/posts", token: bob))["posts"]?[4]?["title"] == "First")

        // Walk the pages as a non-member (the community is public): all five, no repeats, in
        // (published, id) descending order.
        let cleo = try await t.signIn("cleo")
        var seen: [String] = []
        var target = "/communities/cloud/posts?limit=2"
        var pages = 0
        while pages < 10 {
            pages += 1
            let page = try json(try await t.call(.get, target, token: cleo))
            seen += page["posts"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            guard let next = page["next"]?.stringValue else { break }
            target = "/communities/cloud/posts?limit=2&before=\(next)"
        }
        #expect(pages == 3)
        #expect(seen.count == 5)
        #expect(seen == ids.reversed())
        let all = try json(try await t.call(.get, "/communities/cloud/posts", token: cleo))["posts"]?.arrayValue ?? []
        #expect(all.compactMap { $0["id"]?.stringValue } == seen)
        #expect(all.first?["content"] == "<p>Question 5</p>")
        #expect(all.first?["source"] == "Question 5")

        let badLimit = try await t.call(.get, "/communities/cloud/posts?limit=0", token: cleo)
        #expect(badLimit.status == .badRequest)
        #expect(errorField(badLimit) == "limit")
        #expect(try await t.call(.get, "/communities/cloud/posts?limit=abc", token: cleo).status == .badRequest)
        let badCursor = try await t.call(.get, "/communities/cloud/posts?before=%%%", token: cleo)
        #expect(badCursor.status == .badRequest)
        #expect(errorField(badCursor) == "before")
        #expect(try await t.call(.get, "/communities/cloud/posts").status == .unauthorized)
    }

    @Test func pagesNeverSkipOrRepeatPostsThatShareATimestamp() async throws {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        for i in 1...5 {
            _ = try await t.call(.post, "/communities/cloud/posts", token: bob, body: ["content": .string("Same second \(i)")])
        }
        try await t.store.database.write { db in try db.run("UPDATE objects SET published = 1700000000") }
        var seen: [String] = []
        var target = "/communities/cloud/posts?limit=2"
        for _ in 0..<10 {
            let page = try json(try await t.call(.get, target, token: bob))
            seen += page["posts"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            guard let next = page["next"]?.stringValue else { break }
            target = "/communities/cloud/posts?limit=2&before=\(next)"
        }
        #expect(seen.count == 5)
        #expect(seen == seen.sorted(by: >))
    }

    @Test func postingNeedsAnAcceptedMembershipAndValidContent() async throws {
        let cleo = try await t.signIn("cleo")
        let notMember = try await t.call(.post, "/communities/cloud/posts", token: cleo, body: ["content": "Hello"])
        #expect(notMember.status == .forbidden)
        #expect(try await t.call(.post, "/communities/secret/posts", token: cleo, body: ["content": "Hello"]).status == .notFound)
        #expect(try await t.call(.post, "/communities/cloud/posts", body: ["content": "Hello"]).status == .unauthorized)

        try await t.accept("cleo", in: "cloud")
        let missing = try await t.call(.post, "/communities/cloud/posts", token: cleo, body: ["title": "t"])
        #expect(missing.status == .unprocessableContent)
        #expect(errorField(missing) == "content")
        let wrongType = try await t.call(.post, "/communities/cloud/posts", token: cleo, body: ["content": 5])
        #expect(errorField(wrongType) == "content")
        let blank = try await t.call(.post, "/communities/cloud/posts", token: cleo, body: ["content": "   "])
        #expect(blank.status == .unprocessableContent)
        let tooLong = try await t.call(.post, "/communities/cloud/posts", token: cleo,
                                       body: ["content": .string(String(repeating: "a", count: 20_001))])
        #expect(tooLong.status == .unprocessableContent)

        // The general endpoint takes the community's URL; a local URL is posted locally.
        let viaURL = try await t.call(.post, "/posts", token: cleo,
                                      body: ["community": .string(t.community("cloud")), "content": "Via URL"])
        #expect(viaURL.status == .created)
        let notURL = try await t.call(.post, "/posts", token: cleo, body: ["community": "cloud", "content": "x"])
        #expect(notURL.status == .unprocessableContent)
        #expect(errorField(notURL) == "community")
        let remote = try await t.call(.post, "/posts", token: cleo,
                                      body: ["community": "https://other.test/communities/x", "content": "x"])
        #expect(remote.status == .forbidden, "not a member of that remote community")

        let sam = try await t.signIn("sam")
        #expect(try await t.call(.post, "/communities/cloud/posts", token: sam, body: ["content": "Offer"]).status == .forbidden)
    }

    @Test func authorsEditAndDeleteTheirPosts() async throws {
        try await t.accept("bob", in: "cloud")
        try await t.accept("cleo", in: "cloud")
        let bob = try await t.signIn("bob")
        let cleo = try await t.signIn("cleo")
        let created = try json(try await t.call(.post, "/communities/cloud/posts", token: bob, body: ["content": "Draft"]))
        let id = try #require(created["id"]?.stringValue)

        let edited = try await t.call(.patch, path(id), token: bob, body: ["content": "Final"])
        #expect(edited.status == .ok)
        #expect(try json(edited)["content"] == "<p>Final</p>")
        #expect(try json(edited)["updated"] != .null)
        let stored = try await t.store.database.read { db in try ObjectRepository(db).find(id: id) }
        #expect(stored?.content == "<p>Final</p>")

        #expect(try await t.call(.patch, path(id), token: cleo, body: ["content": "Mine now"]).status == .forbidden)
        #expect(try await t.call(.delete, path(id), token: cleo).status == .forbidden)
        #expect(try await t.call(.patch, path(id), token: bob, body: ["content": 1]).status == .unprocessableContent)
        #expect(try await t.call(.patch, path(id), token: bob, body: ["text": "x"]).status == .unprocessableContent)
        #expect(try await t.call(.patch, path(id), body: ["content": "x"]).status == .unauthorized)
        #expect(try await t.call(.patch, path("https://praxis.test/objects/none"), token: bob, body: ["content": "x"]).status
                == .notFound)

        #expect(try await t.call(.delete, path(id), token: bob).status == .noContent)
        #expect(try await t.call(.delete, path(id), token: bob).status == .notFound)
        #expect(try await t.call(.patch, path(id), token: bob, body: ["content": "Again"]).status == .notFound)
        let posts = try json(try await t.call(.get, "/communities/cloud/posts", token: bob))["posts"]?.arrayValue ?? []
        #expect(posts.isEmpty)
    }

    @Test func postsOfHiddenCommunitiesCannotBeChangedOrFoundByOutsiders() async throws {
        try await t.accept("bob", in: "secret")
        let bob = try await t.signIn("bob")
        let created = try json(try await t.call(.post, "/communities/secret/posts", token: bob, body: ["content": "Inside"]))
        let id = try #require(created["id"]?.stringValue)
        #expect(try await t.call(.get, "/communities/secret/posts", token: bob).status == .ok)
        let cleo = try await t.signIn("cleo")
        #expect(try await t.call(.delete, path(id), token: cleo).status == .notFound, "not 403: the post does not exist for cleo")
    }

    /// Found by the API fuzzer (Tests/APIFuzz): `DELETE /posts/{id}` with a document's id
    /// tombstoned the object while the document stayed listed and downloadable, and `PATCH` would
    /// have rewritten it as Markdown. Documents change only through `/documents/{id}`.
    @Test func documentsAreNotEditedOrDeletedAsPosts() async throws {
        try await t.accept("bob", in: "cloud")
        let id = "https://praxis.test/objects/document-1"
        try await t.store.database.write { db in
            try ObjectRepository(db).upsert(StoredObject(
                id: id, type: "Document", attributedTo: "https://praxis.test/users/bob",
                audience: "https://praxis.test/communities/cloud", inReplyTo: nil, name: "Template", content: "",
                published: Date(), updated: nil, document: Array("{}".utf8), originDomain: "praxis.test", kind: nil))
        }
        let bob = try await t.signIn("bob")
        let edit = try await t.call(.patch, path(id), token: bob, body: ["content": "Rewritten"])
        #expect(edit.status == .notFound)
        #expect(errorMessage(edit)?.contains("is a document") == true)
        #expect(try await t.call(.delete, path(id), token: bob).status == .notFound)
        let stored = try await t.store.database.read { db in try ObjectRepository(db).find(id: id) }
        #expect(stored?.deletedAt == nil)
        #expect(stored?.content == "")
    }
}
