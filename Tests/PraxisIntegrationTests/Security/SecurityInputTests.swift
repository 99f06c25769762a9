import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

extension SecurityTests {
    /// One node with member `ana` (signed in, joined to the public community `practice`).
    static func singleNode(nodes: Int = 1) async throws -> (FederationFixture, token: String) {
        let f = try FederationFixture(nodes: nodes)
        try f.addMember("ana", on: 0)
        try f.addCommunity("practice", on: 0)
        try f.startAll()
        try await f.join([(0, "ana")], community: f.base(0) + "/communities/practice")
        return (f, try await f.signIn(0, "ana"))
    }

    /// Bodies over the route's limit, an oversized header section and JSON nested past the
    /// parser's depth limit get 413, 431 and 400 with the limit named, before anything is stored.
    @Suite("Oversized and deeply nested input") struct Limits {
        @Test(.timeLimit(.minutes(1))) func oversizedAndNestedInputIsRefused() async throws {
            let (f, token) = try await SecurityTests.singleNode(nodes: 2)
            defer { Task { await f.stopAll() } }
            let before = try await StorageSnapshot.take(f)
            let json = [("Content-Type", "application/json")]

            let huge: JSON = ["content": .string(String(repeating: "a", count: 300 * 1024))]
            let hugePost = huge.serializedBytes()
            let post = try await f.raw(0, .post, "/api/v1/communities/practice/posts", token: token, headers: json, body: hugePost)
            #expect(post.status == .payloadTooLarge)
            #expect(post.refusal.contains("larger than"), "\(post.refusal)")

            let inbox = try await f.raw(0, .post, "/inbox", headers: [("Content-Type", "application/activity+json")],
                                        body: [UInt8](repeating: 0x20, count: 600 * 1024))
            #expect(inbox.status == .payloadTooLarge)
            #expect(inbox.refusal.contains("larger than"), "\(inbox.refusal)")

            let header = try await f.raw(0, .get, "/api/v1/me", token: token,
                                         headers: [("X-Filler", String(repeating: "h", count: 40 * 1024))])
            #expect(header.status == .requestHeaderFieldsTooLarge)
            #expect(header.refusal.contains("header"), "\(header.refusal)")

            // Nested arrays past the API's depth limit (16), inside a small body.
            var deep: JSON = "x"
            for _ in 0..<40 { deep = [deep] }
            let nestedBody: JSON = ["content": "hi", "tags": deep]
            let nested = try await f.raw(0, .post, "/api/v1/communities/practice/posts", token: token, headers: json,
                                         body: nestedBody.serializedBytes())
            #expect(nested.status == .badRequest)
            #expect(nested.refusal.contains("nesting deeper than"), "\(nested.refusal)")
            let textual = try await f.raw(0, .post, "/api/v1/communities/practice/posts", token: token, headers: json,
                                          body: Array(("{\"content\":" + String(repeating: "[", count: 5000) + "]").utf8))
            #expect(textual.status == .badRequest)

            // The inbox checks the signature first, so a genuine signed activity from a trusted
            // node carries the nesting (its limit is 32).
            try f.addMember("ana", on: 1)
            var activity = FederationTests.like(f, node: 1, actor: "ana", object: f.base(0) + "/users/ana")
            activity["object"] = deep
            let signed = try await FederationTests.signedPost(from: f, node: 1, actor: "ana", to: f.base(0) + "/inbox",
                                                              activity: activity)
            let refused = try await f.node(1).federation.client.send(signed)
            #expect(refused.status == .badRequest || refused.status == .unauthorized, "\(refused.status) \(refused.text)")
            #expect(refused.text.contains("nesting deeper than") || refused.text.contains("key"), "\(refused.text)")

            // Only the sender's key was fetched and cached.
            let changed = try await StorageSnapshot.take(f).changed(since: before)
            #expect(Set(changed).isSubset(of: ["remote_actors", "remote_keys"]), "\(changed)")
        }
    }

    /// Script and markup in every field a person writes come out inert: HTML fields sanitised in
    /// the API, plain-text fields returned literally and escaped in pages, file names made safe
    /// for `Content-Disposition`.
    @Suite("XSS payloads") struct Markup {
        static let payload = "<script>alert(1)</script><img src=x onerror=alert(2)>\"'&"

        @Test(.timeLimit(.minutes(1))) func payloadsComeOutInert() async throws {
            let (f, token) = try await SecurityTests.singleNode()
            defer { Task { await f.stopAll() } }
            let p = Self.payload

            let (profileStatus, profile) = try await f.api(0, .patch, "/me/profile", token: token, body: ["displayName": .string(p)])
            #expect(profileStatus == .ok)
            #expect(profile["displayName"]?.stringValue == p, "a plain-text field keeps the text literally")

            // A tag is a plain word: markup in one is refused with the field named.
            let before = try await StorageSnapshot.take(f)
            let (tagStatus, tagged) = try await f.api(0, .post, "/communities/practice/posts", token: token, body: [
                "content": "hello", "tags": [.string(p)],
            ])
            #expect(tagStatus == .unprocessableContent, "\(tagged)")
            #expect(tagged["error"]?["message"]?.stringValue?.contains("tag") == true, "\(tagged)")
            #expect(try await StorageSnapshot.take(f).changed(since: before) == [])
            let (status, post) = try await f.api(0, .post, "/communities/practice/posts", token: token, body: [
                "title": .string(p), "content": .string(p + " [x](javascript:alert(3))"), "tags": ["lots"],
            ])
            #expect(status == .created, "\(post)")
            #expect(post["title"]?.stringValue == p)
            let content = try #require(post["content"]?.stringValue)
            #expect(HostileContentTests.isInert(content), "\(content)")
            for tag in post["tags"]?.arrayValue ?? [] {
                #expect(!(tag.stringValue ?? "").contains("<"), "tags are normalised to plain words: \(tag)")
            }

            // Pages escape every field.
            for path in ["/communities/practice", "/users/ana"] {
                let page = try await f.raw(0, .get, path, headers: [("Accept", "text/html")])
                #expect(page.status == .ok)
                let main = String(page.text.split(separator: "<main>").last?.split(separator: "</main>").first ?? "")
                #expect(!main.isEmpty)
                #expect(HostileContentTests.isInert(main), "\(path): \(main)")
                #expect(!main.contains("<script>"))
            }

            // A document whose file name carries quotes, CR/LF and markup downloads with a safe header.
            let name = FormURLEncoding.percentEncode("a\"b\r\nX-Injected: 1\\<svg onload=x>é.csv")
            let upload = try await f.raw(0, .post, "/api/v1/communities/practice/documents?filename=\(name)&title="
                                            + FormURLEncoding.percentEncode(p), token: token, body: Array("lot;price\n1;2\n".utf8))
            #expect(upload.status == .created, "\(upload.text)")
            let document = try JSON.parse(upload.body)
            #expect(document["title"]?.stringValue == p)
            let id = try #require(document["id"]?.stringValue)
            let download = try await f.raw(0, .get, "/api/v1/documents/\(FormURLEncoding.percentEncode(id))/content", token: token)
            #expect(download.status == .ok)
            let disposition = try #require(download.headers["Content-Disposition"])
            #expect(!disposition.contains("\r") && !disposition.contains("\n"))
            #expect(download.headers["X-Injected"] == nil)
            #expect(disposition.hasPrefix("attachment; filename=\""))
            let quoted = disposition.dropFirst("attachment; filename=\"".count).prefix { $0 != "\"" }
            #expect(!quoted.contains("<") && !quoted.contains("\\"), "\(disposition)")
            let extended = try #require(disposition.split(separator: "filename*=UTF-8''").last)
            #expect(extended.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "%-._~".contains($0)) }, "\(disposition)")
        }
    }

    /// Document ids and blob paths with `..`, encoded dots, absolute paths and NUL find nothing:
    /// 404 or 400, and no file outside the data folder is read.
    @Suite("Path traversal") struct Traversal {
        @Test(.timeLimit(.minutes(1))) func traversalFindsNothing() async throws {
            let (f, token) = try await SecurityTests.singleNode()
            defer { Task { await f.stopAll() } }
            // A file just outside the data folder, which a traversal would reach.
            let secret = f.temp.appending("secret.txt")
            #expect(FileManager.default.createFile(atPath: secret, contents: Data("top secret".utf8)))
            let before = try await StorageSnapshot.take(f)
            let ids = [
                "../secret.txt", "..%2fsecret.txt", "%2e%2e%2f%2e%2e%2fsecret.txt", "%2e%2e/%2e%2e/secret.txt",
                "..%5c..%5csecret.txt", FormURLEncoding.percentEncode(secret), "%2fetc%2fpasswd", "x%00.pdf", "%00",
                FormURLEncoding.percentEncode(f.base(0) + "/objects/../../secret.txt"),
            ]
            for id in ids {
                for path in ["/api/v1/documents/\(id)/content", "/api/v1/documents/\(id)", "/objects/\(id)/content",
                             "/objects/\(id)", "/feeds/\(id)"] {
                    let response = try await f.raw(0, .get, path, token: token)
                    #expect(response.status == .notFound || response.status == .badRequest, "\(path): \(response.status)")
                    #expect(!response.text.contains("top secret") && !response.text.contains("root:"), "\(path)")
                    #expect(!response.refusal.isEmpty, "\(path) says why")
                }
            }
            let raw = try await f.raw(0, .get, "/api/v1/documents/../../../../etc/passwd/content", token: token)
            #expect(raw.status == .notFound || raw.status == .badRequest)
            #expect(!raw.text.contains("root:"))
            #expect(try await StorageSnapshot.take(f).changed(since: before) == [])
        }
    }

    /// SQL metacharacters in every text field of the API are stored and returned literally and
    /// never cause an error.
    @Suite("SQL metacharacters") struct Metacharacters {
        static let text = "O'Brien \"quoted\"; DROP TABLE objects;-- 100% _under_ back\\slash"

        @Test(.timeLimit(.minutes(1))) func metacharactersRoundTripLiterally() async throws {
            let (f, token) = try await SecurityTests.singleNode()
            defer { Task { await f.stopAll() } }
            let t = Self.text
            // Ana may create communities (an admin), so that form's fields are covered too.
            try await NodeStore(directory: f.directory(0)).database.write { db in
                try db.run("UPDATE accounts SET role = 'admin' WHERE actor_id = (SELECT id FROM actors WHERE username = 'ana')")
            }

            let (profileStatus, profile) = try await f.api(0, .patch, "/me/profile", token: token, body: [
                "displayName": .string(t), "summary": .string(t), "organisation": .string(t),
            ])
            #expect(profileStatus == .ok)
            for field in ["displayName", "summary", "organisation"] {
                #expect(profile[field]?.stringValue == t, "\(field): \(String(describing: profile[field]))")
            }

            let (created, community) = try await f.api(0, .post, "/communities", token: token, body: [
                "name": "metachars", "title": .string(t), "description": .string(t),
            ])
            #expect(created == .created || created == .ok, "\(community)")
            #expect(community["title"]?.stringValue == t)

            let (status, post) = try await f.api(0, .post, "/communities/practice/posts", token: token, body: [
                "title": .string(t), "content": .string(t), "kind": "question",
            ])
            #expect(status == .created, "\(post)")
            #expect(post["title"]?.stringValue == t)
            #expect(post["source"]?.stringValue == t)
            let id = try #require(post["id"]?.stringValue)
            let (threadStatus, thread) = try await f.api(0, .get, "/threads/\(FormURLEncoding.percentEncode(id))", token: token)
            #expect(threadStatus == .ok)
            #expect(String(decoding: thread.serializedBytes(), as: UTF8.self).contains("DROP TABLE objects"))

            // Search and listing filters take the same text as data, never as SQL or a LIKE pattern.
            for query in [t, "'", "\"", ";--", "%", "_", "\\", "' OR 1=1 --", "\" OR \"\"=\""] {
                let (searchStatus, results) = try await f.api(0, .get, "/search?q=\(FormURLEncoding.percentEncode(query))",
                                                             token: token)
                #expect(searchStatus == .ok || searchStatus == .badRequest, "\(query): \(searchStatus) \(results)")
                let (listStatus, _) = try await f.api(
                    0, .get, "/documents?community=\(FormURLEncoding.percentEncode(query))", token: token)
                #expect(listStatus.code < 500, "\(query)")
                let (memberStatus, _) = try await f.api(0, .get, "/members/\(FormURLEncoding.percentEncode(query))", token: token)
                #expect(memberStatus == .notFound || memberStatus == .badRequest, "\(query): \(memberStatus)")
            }
            let (_, found) = try await f.api(0, .get, "/search?q=Brien", token: token)
            #expect(found["results"]?.arrayValue?.isEmpty == false, "\(found)")
            let (_, percent) = try await f.api(0, .get, "/search?q=%25", token: token)
            #expect((percent["results"]?.arrayValue ?? []).count <= 1, "a bare % is not a wildcard: \(percent)")
            #expect(try await f.read(0) { db in try db.tableExists("objects") })
        }
    }
}
