import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// Document libraries across real nodes: a document uploaded on the community's node is listed
/// for a member of another node, downloads there with a matching digest, is refused to a node that
/// is not entitled, and a changed byte at the origin is detected by the receiving node.
@Suite(.serialized) struct DocumentFederationTests {
    @Test(.timeLimit(.minutes(2))) func documentFederatesWithIntegrity() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("fred", on: 0)
        try f.addMember("nina", on: 1)
        try f.addCommunity("library", on: 0)
        // Node 0 trusts node 2 only as limited: public content, but no document bytes.
        try await NodeStore(directory: f.directory(0)).database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: f.domain(2), level: .limited))
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(0) + "/communities/library"
        try await f.join([(0, "fred"), (1, "nina")], community: community)
        let client = f.node(1).federation.client

        @Sendable func call(_ node: Int, _ method: HTTPMethod, _ path: String, token: String? = nil, json: JSON? = nil,
                            bytes: [UInt8] = []) async throws -> HTTPClientResponse {
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            if json != nil { headers["Content-Type"] = "application/json" }
            return try await client.send(HTTPClientRequest(
                method: method, url: f.base(node) + "/api/v1" + path, headers: headers, body: json?.serializedBytes() ?? bytes))
        }
        @Sendable func signIn(_ node: Int, _ name: String) async throws -> String {
            let response = try await call(node, .post, "/auth/sign-in",
                                          json: ["username": .string(name), "password": "correct horse battery"])
            return try #require(try JSON.parse(response.body)["token"]?.stringValue)
        }
        let fred = try await signIn(0, "fred")
        let nina = try await signIn(1, "nina")

        // Fred uploads a PDF to the community on his node.
        var pdf = Array("%PDF-1.7\n% Praxis test document\n".utf8)
        for i in 0..<20_000 { pdf.append(UInt8(truncatingIfNeeded: i &* 31)) }
        let digest = SHA256.hash(pdf)
        let upload = try await call(0, .post, "/communities/library/documents?filename=Guide%20%C3%A9t%C3%A9.pdf&title=Guide"
                                        + "&tags=lots,framework&language=fr&description=How%20to%20split%20lots",
                                    token: fred, bytes: pdf)
        #expect(upload.status == .created, "\(upload.text)")
        let uploaded = try JSON.parse(upload.body)
        let id = try #require(uploaded["id"]?.stringValue)
        #expect(uploaded["sha256"]?.stringValue == BlobStore.hex(digest))
        #expect(uploaded["mediaType"] == "application/pdf")
        #expect(uploaded["size"]?.intValue == Int64(pdf.count))
        let byteURL = try #require(uploaded["url"]?.stringValue)

        // It is listed in Nina's view of the community on her node.
        let encodedCommunity = FormURLEncoding.percentEncode(community)
        try await f.eventually("the document reaches node 1") {
            let list = try JSON.parse(try await call(1, .get, "/documents?community=\(encodedCommunity)", token: nina).body)
            return list["documents"]?.arrayValue?.contains { $0["id"] == .string(id) } == true
        }
        let listed = try JSON.parse(try await call(1, .get, "/documents?community=\(encodedCommunity)", token: nina).body)
        let remote = try #require(listed["documents"]?.arrayValue?.first { $0["id"] == .string(id) })
        #expect(remote["title"] == "Guide")
        #expect(remote["local"] == false)
        #expect(remote["sha256"]?.stringValue == BlobStore.hex(digest))
        #expect(remote["tags"] == ["lots", "framework"])

        // It downloads there, fetched from node 0 on demand, with a matching digest and safe headers.
        let contentPath = "/documents/\(FormURLEncoding.percentEncode(id))/content"
        let download = try await call(1, .get, contentPath, token: nina)
        #expect(download.status == .ok)
        #expect(SHA256.hash(download.body) == digest)
        #expect(download.headers["Content-Type"] == "application/pdf")
        #expect(download.headers["Content-Disposition"]?.hasPrefix("attachment;") == true)
        #expect(download.headers["X-Content-Type-Options"] == "nosniff")
        #expect(download.headers["Content-Security-Policy"]?.contains("sandbox") == true)
        #expect(f.served(0, containing: "/content").count == 1)
        // A second download is served from node 1's cache.
        #expect(SHA256.hash(try await call(1, .get, contentPath, token: nina).body) == digest)
        #expect(f.served(0, containing: "/content").count == 1)

        // Node 2 is not entitled: its signed fetch gets 404, as does an unsigned one.
        var signed = HTTPClientRequest(url: byteURL)
        try f.node(2).federation.signer.sign(&signed)
        #expect(try await f.node(2).federation.client.send(signed).status == .notFound)
        #expect(try await client.send(HTTPClientRequest(url: byteURL)).status == .notFound)
        // Node 1 itself is entitled (trusted, with a member).
        var entitled = HTTPClientRequest(url: byteURL)
        try f.node(1).federation.signer.sign(&entitled)
        #expect(SHA256.hash(try await client.send(entitled).body) == digest)

        // A byte changed in node 0's stored copy is detected by node 1 (with an empty cache).
        let blob = try f.directory(0).documentBlobs.path(for: digest)
        var stored = try #require(FileManager.default.contents(atPath: blob))
        stored[100] ^= 0xFF
        try stored.write(to: URL(fileURLWithPath: blob))
        try FileManager.default.removeItem(at: f.directory(1).documentCache.root)
        let refused = try await call(1, .get, contentPath, token: nina)
        #expect(refused.status == .badGateway)
        #expect(refused.text.contains("do not match"))
        #expect(!f.directory(1).documentCache.contains(digest))

        // Deleting the document federates: it leaves node 1's list.
        #expect(try await call(0, .delete, "/documents/\(FormURLEncoding.percentEncode(id))", token: fred).status == .noContent)
        try await f.eventually("the deletion reaches node 1") {
            let list = try JSON.parse(try await call(1, .get, "/documents?community=\(encodedCommunity)", token: nina).body)
            return list["documents"]?.arrayValue?.isEmpty == true
        }
        #expect(!f.directory(0).documentBlobs.contains(digest))
    }

    @Test(.timeLimit(.minutes(1))) func uploadsAreCheckedAndVersionsChain() async throws {
        let f = try FederationFixture(nodes: 1)
        try f.addMember("fred", on: 0)
        try f.addMember("olga", on: 0)
        try f.addCommunity("library", on: 0)
        var configuration = try NodeConfiguration.load(from: f.directory(0))
        configuration.maxDocumentBytes = 64 * 1024
        try configuration.save(to: f.directory(0))
        try f.startAll()
        defer { Task { await f.stopAll() } }
        try await f.join([(0, "fred"), (0, "olga")], community: f.base(0) + "/communities/library")
        let client = f.node(0).federation.client
        @Sendable func call(_ method: HTTPMethod, _ path: String, token: String? = nil, json: JSON? = nil,
                            bytes: [UInt8] = []) async throws -> HTTPClientResponse {
            var headers: HTTPHeaders = ["Accept": "application/json"]
            if let token { headers["Authorization"] = "Bearer \(token)" }
            return try await client.send(HTTPClientRequest(
                method: method, url: f.base(0) + "/api/v1" + path, headers: headers, body: json?.serializedBytes() ?? bytes))
        }
        @Sendable func signIn(_ name: String) async throws -> String {
            let response = try await call(.post, "/auth/sign-in", json: ["username": .string(name), "password": "correct horse battery"])
            return try #require(try JSON.parse(response.body)["token"]?.stringValue)
        }
        let fred = try await signIn("fred")
        let olga = try await signIn("olga")
        let upload = "/communities/library/documents?filename="

        // Markup, mismatched content and oversized files are refused with a clear status.
        let html = try await call(.post, upload + "page.html", token: fred, bytes: Array("<html><script></script>".utf8))
        #expect(html.status == .unsupportedMediaType)
        #expect(html.text.contains("not accepted"))
        let disguised = try await call(.post, upload + "notes.txt", token: fred, bytes: Array("<svg onload=x>".utf8))
        #expect(disguised.status == .unsupportedMediaType)
        let mismatch = try await call(.post, upload + "report.docx", token: fred, bytes: Array("%PDF-1.4 x".utf8))
        #expect(mismatch.status == .unsupportedMediaType)
        let big = try await call(.post, upload + "big.pdf", token: fred, bytes: Array("%PDF-".utf8) + [UInt8](repeating: 7, count: 70_000))
        #expect(big.status == .payloadTooLarge)
        #expect(try await call(.post, upload, token: fred, bytes: Array("%PDF-1".utf8)).status == .badRequest)
        #expect(f.directory(0).documentBlobs.incomingDirectory.path.hasPrefix(f.directory(0).root.path))
        let spooled = try FileManager.default.contentsOfDirectory(atPath: f.directory(0).documentBlobs.incomingDirectory.path)
        #expect(spooled.isEmpty, "refused uploads leave no spooled file behind")

        // Versions chain to their predecessor; only the uploader adds versions, once per version.
        let v1 = try JSON.parse(try await call(.post, upload + "terms.csv", token: fred, bytes: Array("lot;price\n1;10\n".utf8)).body)
        let v1ID = try #require(v1["id"]?.stringValue)
        let next = upload + "terms.csv&previousVersion=" + FormURLEncoding.percentEncode(v1ID)
        #expect(try await call(.post, next, token: olga, bytes: Array("lot;price\n1;12\n".utf8)).status == .forbidden)
        let v2 = try await call(.post, next, token: fred, bytes: Array("lot;price\n1;12\n".utf8))
        #expect(v2.status == .created)
        #expect(try JSON.parse(v2.body)["previousVersion"]?.stringValue == v1ID)
        #expect(try await call(.post, next, token: fred, bytes: Array("lot;price\n1;13\n".utf8)).status == .conflict)
        let list = try JSON.parse(try await call(.get, "/communities/library/documents", token: olga).body)
        #expect(list["documents"]?.arrayValue?.count == 2)
        // Only the uploader deletes.
        let v2ID = try #require(try JSON.parse(v2.body)["id"]?.stringValue)
        #expect(try await call(.delete, "/documents/\(FormURLEncoding.percentEncode(v2ID))", token: olga).status == .forbidden)
        let download = try await call(.get, "/documents/\(FormURLEncoding.percentEncode(v2ID))/content", token: olga)
        #expect(download.text == "lot;price\n1;12\n")
        #expect(download.headers["Content-Type"] == "text/csv; charset=utf-8")
    }
}
