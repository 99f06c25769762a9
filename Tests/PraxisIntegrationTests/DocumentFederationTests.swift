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
}
