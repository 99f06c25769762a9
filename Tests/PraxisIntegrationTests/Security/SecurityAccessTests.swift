import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

extension SecurityTests {
    /// A person's `Announce` is not a community's relay, even when a local member follows that
    /// person: it is refused (dead-lettered with the reason) and stores nothing.
    @Suite("Announce by a non-group actor") struct Impersonation {
        @Test(.timeLimit(.minutes(1))) func personAnnounceIsRefused() async throws {
            let f = try FederationFixture(nodes: 2)
            try f.addMember("ana", on: 0)
            try f.addMember("mallory", on: 1)
            try f.addCommunity("practice", on: 1)
            try f.startAll()
            defer { Task { await f.stopAll() } }
            let community = f.base(1) + "/communities/practice"
            let mallory = f.base(1) + "/users/mallory"
            try await f.join([(0, "ana")], community: community)
            // Ana follows Mallory herself (as a fediverse account may be followed).
            _ = try await f.node(0).federation.social.follow(member: "ana", target: mallory)
            try await NodeStore(directory: f.directory(0)).database.write { db in
                try db.run("UPDATE follows SET state = 'accepted' WHERE followed = ?", mallory)
            }
            #expect(await f.node(0).federation.delivery.waitUntilIdle(timeout: .seconds(10)))
            let before = try await StorageSnapshot.take(f)

            let objectID = f.base(1) + "/objects/" + UUID().uuidString.lowercased()
            let note: JSON = [
                "id": .string(objectID), "type": "Note", "attributedTo": .string(mallory), "audience": .string(community),
                "content": "<p>Official: the tender is cancelled</p>", "to": [.string(ActivityStreams.publicCollection)],
            ]
            let create = ActivityBuilder.activity(
                id: f.base(1) + "/activities/" + UUID().uuidString.lowercased(), type: "Create", actor: mallory, object: note,
                to: [community], audience: community)
            let announce = ActivityBuilder.activity(
                id: f.base(1) + "/activities/" + UUID().uuidString.lowercased(), type: "Announce", actor: mallory,
                object: create, to: [ActivityStreams.publicCollection], audience: community)
            let request = try await FederationTests.signedPost(from: f, node: 1, actor: "mallory", to: f.base(0) + "/inbox",
                                                                activity: announce)
            #expect(try await f.node(1).federation.client.send(request).status == .accepted)
            let announceID = try #require(announce["id"]?.stringValue)
            try await f.eventually("node 0 refuses the Announce") {
                try await f.read(0) { db in try InboxRepository(db).deadLetters().contains { $0.activityID == announceID } }
            }
            let reason = try await f.read(0) { db in
                try InboxRepository(db).deadLetters().first { $0.activityID == announceID }?.reason ?? ""
            }
            #expect(reason.contains("only a community (Group) relays"), "\(reason)")
            #expect(try await f.read(0) { db in try ObjectRepository(db).find(id: objectID) } == nil)
            // Only the inbox's own bookkeeping changed: no object, follow or notification.
            let changed = try await StorageSnapshot.take(f).changed(since: before)
            #expect(Set(changed).isSubset(of: ["inbox_activities", "seen_signatures", "dead_letters", "remote_actors", "remote_keys"]),
                    "\(changed)")
        }
    }

    /// Members-only content is invisible to a member of the same node who has not joined: the
    /// API's lists, thread, document metadata and bytes, search, the HTML page and unsigned
    /// federation fetches all answer as if it did not exist.
    @Suite("Members-only reads") struct MembersOnly {
        @Test(.timeLimit(.minutes(1))) func outsidersReadNothing() async throws {
            let f = try FederationFixture(nodes: 1)
            try f.addMember("ana", on: 0)
            try f.addMember("mallory", on: 0)
            try f.addCommunity("secret", on: 0, visibility: .members, join: .open)
            try f.startAll()
            defer { Task { await f.stopAll() } }
            // Ana is an approved member (as a manager's decision would make her).
            _ = try await f.node(0).federation.social.follow(member: "ana", target: f.base(0) + "/communities/secret")
            try await NodeStore(directory: f.directory(0)).database.write { db in
                try db.run("UPDATE follows SET state = 'accepted' WHERE followed = ?", f.base(0) + "/communities/secret")
            }
            let ana = try await f.signIn(0, "ana")
            let mallory = try await f.signIn(0, "mallory")
            let (status, post) = try await f.api(0, .post, "/communities/secret/posts", token: ana, body: [
                "title": "Confidential pricing", "content": "Confidential zebrafish lots", "kind": "question",
            ])
            #expect(status == .created)
            let postID = try #require(post["id"]?.stringValue)
            let upload = try await f.raw(0, .post, "/api/v1/communities/secret/documents?filename=zebrafish.csv&title=Confidential",
                                         token: ana, body: Array("lot;price\n1;2\n".utf8))
            #expect(upload.status == .created)
            let documentID = try #require(try JSON.parse(upload.body)["id"]?.stringValue)
            // Ana, a member, sees it; the same calls are the outsider's below.
            let (found, results) = try await f.api(0, .get, "/search?q=zebrafish", token: ana)
            #expect(found == .ok && results["results"]?.arrayValue?.isEmpty == false, "\(results)")
            let before = try await StorageSnapshot.take(f)

            let post64 = FormURLEncoding.percentEncode(postID)
            let doc64 = FormURLEncoding.percentEncode(documentID)
            for path in ["/communities/secret/posts", "/communities/secret/threads", "/communities/secret/documents",
                         "/communities/secret/members", "/threads/\(post64)", "/documents/\(doc64)", "/documents/\(doc64)/content"] {
                let response = try await f.raw(0, .get, "/api/v1" + path, token: mallory)
                #expect(response.status == .notFound || response.status == .forbidden, "\(path): \(response.status)")
                #expect(!response.text.contains("zebrafish") && !response.text.contains("Confidential"), "\(path)")
                #expect(!response.refusal.isEmpty, "\(path) says why")
            }
            let (searchStatus, search) = try await f.api(0, .get, "/search?q=zebrafish", token: mallory)
            #expect(searchStatus == .ok)
            #expect(search["results"]?.arrayValue?.isEmpty == true, "\(search)")
            let (listStatus, list) = try await f.api(0, .get, "/documents", token: mallory)
            #expect(listStatus.code < 500)
            #expect(!String(decoding: list.serializedBytes(), as: UTF8.self).contains("zebrafish"))
            let (threadsStatus, threads) = try await f.api(0, .get, "/threads", token: mallory)
            #expect(threadsStatus.code < 500)
            #expect(!String(decoding: threads.serializedBytes(), as: UTF8.self).contains("zebrafish"))
            // Federation and pages, unsigned.
            for url in [postID, documentID, documentID + "/content"] {
                let response = try await f.node(0).federation.client.send(
                    HTTPClientRequest(url: url, headers: ["Accept": "application/activity+json"]))
                #expect(response.status == .notFound, "\(url)")
                #expect(!response.text.contains("zebrafish"))
            }
            let page = try await f.raw(0, .get, "/communities/secret", headers: [("Accept", "text/html")])
            #expect(!page.text.contains("zebrafish"))
            #expect(try await StorageSnapshot.take(f).changed(since: before) == [])
        }
    }
}
