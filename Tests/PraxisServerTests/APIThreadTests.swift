import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// Community browsing, thread lists and thread pages through the client API.
@Suite struct APIThreadTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    static let remoteGroup = "https://other.test/communities/works"

    func encoded(_ id: String) -> String { FormURLEncoding.percentEncode(id) }

    /// Bob posts `specs` in cloud; each thread gets the given `published` time as its activity.
    func seedThreads(_ specs: [(kind: String, title: String, published: Int64)]) async throws -> [String] {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        var ids: [String] = []
        for spec in specs {
            let response = try await t.call(.post, "/communities/cloud/posts", token: bob, body: [
                "content": .string("About \(spec.title)"), "title": .string(spec.title), "kind": .string(spec.kind),
                "tags": ["cloud"], "language": "en",
            ])
            #expect(response.status == .created)
            ids.append(try #require(try json(response)["id"]?.stringValue))
        }
        let times = Array(zip(ids, specs.map(\.published)))
        try await t.store.database.write { db in
            for (id, time) in times {
                try db.run("UPDATE objects SET published = ?, last_activity = ? WHERE id = ?", time, time, id)
            }
        }
        return ids
    }

    func titles(_ target: String, token: String) async throws -> [String] {
        let response = try await t.call(.get, target, token: token)
        #expect(response.status == .ok, "\(target): \(errorMessage(response) ?? "")")
        return try json(response)["threads"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []
    }

    @Test func listsSortByActivityNewestOrUnansweredAndPageWithCursors() async throws {
        let ids = try await seedThreads([
            ("question", "Q1", 1_700_000_000), ("discussion", "D1", 1_700_000_060), ("question", "Q2", 1_700_000_120),
        ])
        let bob = try await t.signIn("bob")
        let reply = try await t.call(.post, "/communities/cloud/posts", token: bob,
                                     body: ["content": "An answer", "inReplyTo": .string(ids[0])])
        #expect(reply.status == .created)

        let cleo = try await t.signIn("cleo")
        #expect(try await titles("/communities/cloud/threads", token: cleo) == ["Q1", "Q2", "D1"])
        #expect(try await titles("/communities/cloud/threads?sort=newest", token: cleo) == ["Q2", "D1", "Q1"])
        #expect(try await titles("/communities/cloud/threads?sort=unanswered", token: cleo) == ["Q2", "Q1"])
        #expect(try await titles("/communities/cloud/threads?kind=discussion", token: cleo) == ["D1"])
        #expect(try await titles("/communities/cloud/threads?tag=cloud&language=en", token: cleo).count == 3)
        #expect(try await titles("/communities/cloud/threads?tag=other", token: cleo).isEmpty)
        let cloudURL = encoded(t.community("cloud"))
        #expect(try await titles("/threads?community=\(cloudURL)&sort=newest", token: cleo) == ["Q2", "D1", "Q1"])

        let first = try json(try await t.call(.get, "/communities/cloud/threads", token: cleo))["threads"]?[0]
        #expect(first?["replyCount"] == 1)
        #expect(first?["helpfulCount"] == 0)
        #expect(first?["answered"] == false)
        #expect(first?["kind"] == "question")
        #expect(first?["inReplyTo"] == .null)

        // Pages of one, following "next", visit each thread once.
        var seen: [String] = []
        var target = "/communities/cloud/threads?limit=1"
        for _ in 0..<10 {
            let page = try json(try await t.call(.get, target, token: cleo))
            seen += page["threads"]?.arrayValue?.compactMap { $0["title"]?.stringValue } ?? []
            guard let next = page["next"]?.stringValue else { break }
            target = "/communities/cloud/threads?limit=1&cursor=\(next)"
        }
        #expect(seen == ["Q1", "Q2", "D1"])

        // A cursor of one order is refused by another.
        let newest = try json(try await t.call(.get, "/communities/cloud/threads?sort=newest&limit=1", token: cleo))
        let cursor = try #require(newest["next"]?.stringValue)
        let mixed = try await t.call(.get, "/communities/cloud/threads?cursor=\(cursor)", token: cleo)
        #expect(mixed.status == .unprocessableContent)
        #expect(errorField(mixed) == "cursor")
    }

    @Test func listParametersAreValidatedAndAccessIsChecked() async throws {
        _ = try await seedThreads([("question", "Q1", 1_700_000_000)])
        let cleo = try await t.signIn("cleo")
        for (query, field) in [("sort=hot", "sort"), ("limit=0", "limit"), ("limit=101", "limit"), ("kind=poll", "kind"),
                               ("cursor=%25%25", "cursor"), ("theme=x", nil)] {
            let response = try await t.call(.get, "/communities/cloud/threads?\(query)", token: cleo)
            if let field {
                #expect(response.status == .badRequest, "\(query)")
                #expect(errorField(response) == field, "\(query)")
            } else {
                #expect(response.status == .ok, "unknown parameters are ignored: \(query)")
            }
        }
        let missing = try await t.call(.get, "/threads", token: cleo)
        #expect(missing.status == .badRequest)
        #expect(errorField(missing) == "community")

        #expect(try await t.call(.get, "/communities/cloud/threads").status == .unauthorized)
        #expect(try await t.call(.get, "/threads?community=\(encoded(t.community("cloud")))").status == .unauthorized)
        let sam = try await t.signIn("sam")
        #expect(try await t.call(.get, "/communities/cloud/threads", token: sam).status == .forbidden)
        #expect(try await t.call(.get, "/communities/secret/threads", token: cleo).status == .notFound)
        #expect(try await t.call(.get, "/threads?community=\(encoded(t.community("secret")))", token: cleo).status == .notFound)
        #expect(try await t.call(.get, "/threads?community=\(encoded(Self.remoteGroup))", token: cleo).status == .notFound)
    }

    /// A remote community known from the actor cache, with one thread delivered here.
    func seedRemote(visibility: String) async throws {
        let document = "{\"type\":\"Group\",\"summary\":\"Public works\",\"visibility\":\"\(visibility)\",\"theme\":\"sector\",\"languages\":[\"fr\"]}"
        try await t.addRemoteActor(Self.remoteGroup, type: "Group", username: "works", name: "Works", document: document)
        try await t.store.database.write { db in
            try ObjectRepository(db).upsert(StoredObject(
                id: "https://other.test/objects/1", type: "Note", attributedTo: "https://other.test/users/zoe",
                audience: Self.remoteGroup, inReplyTo: nil, name: "Remote thread", content: "<p>Hello</p>",
                published: Date(timeIntervalSince1970: 1_700_000_000), updated: nil, document: Array("{}".utf8),
                originDomain: "other.test", kind: "discussion"))
            try TrustRepository(db).set(TrustEntry(domain: "other.test", level: .trusted))
        }
    }

    @Test func remoteCommunitiesAreBrowsedFilteredAndReadAsTheirVisibilityAllows() async throws {
        try await seedRemote(visibility: "public")
        let cleo = try await t.signIn("cleo")
        let all = try json(try await t.call(.get, "/communities", token: cleo))["communities"]?.arrayValue ?? []
        #expect(all.compactMap { $0["name"]?.stringValue } == ["cloud", "works"])
        #expect(all.last?["local"] == false)
        #expect(all.last?["theme"] == "sector")
        func names(_ query: String) async throws -> [String] {
            let response = try await t.call(.get, "/communities?\(query)", token: cleo)
            #expect(response.status == .ok)
            return try json(response)["communities"]?.arrayValue?.compactMap { $0["name"]?.stringValue } ?? []
        }
        #expect(try await names("theme=sector") == ["works"])
        #expect(try await names("language=fr") == ["works"])
        #expect(try await names("node=praxis.test") == ["cloud"])
        #expect(try await names("node=other.test") == ["works"])
        #expect(try await names("q=PUBLIC%20works") == ["works"])
        #expect(try await names("q=cloud") == ["cloud"])
        let bad = try await t.call(.get, "/communities?theme=colour", token: cleo)
        #expect(bad.status == .badRequest)
        #expect(errorField(bad) == "theme")
        #expect(try await t.call(.get, "/communities").status == .unauthorized)

        let list = "/threads?community=\(encoded(Self.remoteGroup))"
        #expect(try await titles(list, token: cleo) == ["Remote thread"])
        let sam = try await t.signIn("sam")
        #expect(try await t.call(.get, list, token: sam).status == .forbidden)
    }

    @Test func membersOnlyRemoteCommunitiesAreHiddenFromNonMembers() async throws {
        try await seedRemote(visibility: "members")
        let cleo = try await t.signIn("cleo")
        let names = try json(try await t.call(.get, "/communities", token: cleo))["communities"]?.arrayValue?
            .compactMap { $0["name"]?.stringValue }
        #expect(names == ["cloud"])
        let list = "/threads?community=\(encoded(Self.remoteGroup))"
        #expect(try await t.call(.get, list, token: cleo).status == .notFound)
        let thread = "/threads/\(encoded("https://other.test/objects/1"))"
        #expect(try await t.call(.get, thread, token: cleo).status == .notFound)

        try await t.store.database.write { db in
            try FollowRepository(db).upsert(Follow(
                follower: "https://praxis.test/users/cleo", followed: Self.remoteGroup, followerInbox: nil,
                followerDomain: "praxis.test", followedDomain: "other.test", state: .accepted,
                activityID: "https://praxis.test/activities/f1"))
        }
        let member = try await t.signIn("cleo")
        #expect(try await titles(list, token: member) == ["Remote thread"])
        #expect(try await t.call(.get, thread, token: member).status == .ok)
    }

    @Test func threadPageShowsRepliesAcceptedAnswerHelpfulMarksAndEdits() async throws {
        let ids = try await seedThreads([("question", "Q1", 1_700_000_000)])
        let bob = try await t.signIn("bob")
        try await t.accept("ana", in: "cloud")
        let ana = try await t.signIn("ana")
        var replies: [String] = []
        for (token, text) in [(ana, "First answer"), (bob, "Thanks"), (ana, "Second answer")] {
            let response = try await t.call(.post, "/communities/cloud/posts", token: token,
                                            body: ["content": .string(text), "inReplyTo": .string(ids[0])])
            replies.append(try #require(try json(response)["id"]?.stringValue))
        }
        let spread = replies
        try await t.store.database.write { db in
            for (i, id) in spread.enumerated() {
                try db.run("UPDATE objects SET published = ? WHERE id = ?", Int64(1_700_000_100 + i * 10), id)
            }
        }
        let accept = try await t.call(.post, "/posts/\(encoded(ids[0]))/accept", token: bob, body: ["answer": .string(replies[2])])
        #expect(accept.status == .ok, "\(errorMessage(accept) ?? "")")
        #expect(try await t.call(.post, "/posts/\(encoded(replies[0]))/helpful", token: bob, body: [:]).status == .noContent)
        let edit = try await t.call(.patch, "/posts/\(encoded(replies[0]))", token: ana, body: ["content": "First answer, revised"])
        #expect(edit.status == .ok)

        let page = try json(try await t.call(.get, "/threads/\(encoded(ids[0]))", token: bob))
        #expect(page["thread"]?["id"]?.stringValue == ids[0])
        #expect(page["thread"]?["replyCount"] == 3)
        #expect(page["thread"]?["answered"] == true)
        #expect(page["acceptedAnswer"]?["id"]?.stringValue == replies[2])
        let listed = page["replies"]?.arrayValue ?? []
        #expect(listed.compactMap { $0["id"]?.stringValue } == replies)
        #expect(listed.map { $0["accepted"] } == [false, false, true])
        #expect(listed[0]["helpfulCount"] == 1)
        #expect(listed[0]["markedHelpful"] == true)
        #expect(listed[0]["revisions"] == 1)
        #expect(listed[1]["revisions"] == 0)
        // Another reader sees the count but not bob's mark.
        let cleo = try await t.signIn("cleo")
        let seenByCleo = try json(try await t.call(.get, "/threads/\(encoded(ids[0]))", token: cleo))
        #expect(seenByCleo["replies"]?[0]?["markedHelpful"] == false)
        #expect(seenByCleo["replies"]?[0]?["helpfulCount"] == 1)
        // A reply's id opens its thread.
        let viaReply = try json(try await t.call(.get, "/threads/\(encoded(replies[1]))", token: cleo))
        #expect(viaReply["thread"]?["id"]?.stringValue == ids[0])

        // Replies page oldest first; the accepted answer comes with the first page only.
        var seen: [String] = []
        var target = "/threads/\(encoded(ids[0]))?limit=2"
        var pages = 0
        for _ in 0..<5 {
            pages += 1
            let page = try json(try await t.call(.get, target, token: cleo))
            if pages > 1 { #expect(page["acceptedAnswer"] == .null) }
            seen += page["replies"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
            guard let next = page["next"]?.stringValue else { break }
            target = "/threads/\(encoded(ids[0]))?limit=2&cursor=\(next)"
        }
        #expect(seen == replies)
        #expect(pages == 2)

        let badLimit = try await t.call(.get, "/threads/\(encoded(ids[0]))?limit=500", token: cleo)
        #expect(badLimit.status == .badRequest)
        #expect(errorField(badLimit) == "limit")
        let badCursor = try await t.call(.get, "/threads/\(encoded(ids[0]))?cursor=nope", token: cleo)
        #expect(badCursor.status == .badRequest)
        #expect(errorField(badCursor) == "cursor")
        #expect(try await t.call(.get, "/threads/\(encoded(ids[0]))").status == .unauthorized)
        let sam = try await t.signIn("sam")
        #expect(try await t.call(.get, "/threads/\(encoded(ids[0]))", token: sam).status == .notFound)
        #expect(try await t.call(.get, "/threads/\(encoded("https://praxis.test/objects/none"))", token: cleo).status == .notFound)
    }

    @Test func threadsOfMembersOnlyCommunitiesStayHidden() async throws {
        try await t.accept("bob", in: "secret")
        let bob = try await t.signIn("bob")
        let post = try await t.call(.post, "/communities/secret/posts", token: bob, body: ["content": "Confidential"])
        let id = try #require(try json(post)["id"]?.stringValue)
        let listed = try json(try await t.call(.get, "/communities/secret/threads", token: bob))["threads"]?.arrayValue
        #expect(listed?.compactMap { $0["id"]?.stringValue } == [id])
        let cleo = try await t.signIn("cleo")
        #expect(try await t.call(.get, "/threads/\(encoded(id))", token: cleo).status == .notFound)
        #expect(try await t.call(.get, "/threads/\(encoded(id))", token: bob).status == .ok)
    }
}
