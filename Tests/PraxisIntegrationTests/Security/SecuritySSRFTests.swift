import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

extension SecurityTests {
    /// A node with the production address policy (not `--dev`) asked, through an inbox signature,
    /// a follow by URL or handle, or a document to fetch, to contact loopback, private, link-local
    /// or metadata addresses, directly, by a DNS name (`localhost`) or by a redirect: each is
    /// refused with the reason, and nothing is fetched (a canary node on loopback sees no request).
    /// Every reserved range and the redirect hop are covered at client level in `ClientSSRFTests`
    /// and `ClientRedirectTests`.
    @Suite("Server-side request forgery") struct ServerSideRequests {
        @Test(.timeLimit(.minutes(1))) func internalDestinationsAreRefused() async throws {
            // The canary: an ordinary node on loopback, whose access log shows any request.
            let canary = try FederationFixture(nodes: 1)
            try canary.addMember("x", on: 0)
            try canary.start(0)
            defer { Task { await canary.stopAll() } }
            let c = canary.ports[0]

            let temp = TemporaryDirectory("praxis-strict")
            let port = freeLoopbackPort()
            let directory = DataDirectory(path: temp.appending("node"))
            let store = try NodeSetup.initialise(
                directory: directory,
                configuration: NodeConfiguration(domain: "127.0.0.1:\(port)", name: "Strict", federation: .open))
            try PraxisNodeSetupForTests.Handle(store: store).accounts.add(.init(username: "ana", password: "correct horse battery"))
            let strict = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: port))
            try strict.start()
            defer { Task { await strict.shutdown(gracePeriod: .seconds(1)) } }
            #expect(!strict.federation.client.configuration.allowInsecureAndPrivate)
            let client = canary.node(0).federation.client
            let base = "http://127.0.0.1:\(port)"
            let token = try await SecurityTests.strictSignIn(client, base)
            let before = try await StorageSnapshot.take(directory)

            let targets = [
                "https://127.0.0.1:\(c)/users/x", "https://localhost:\(c)/users/x", "https://[::1]:\(c)/users/x",
                "https://10.0.0.1/users/x", "https://169.254.169.254/latest/meta-data", "https://[::ffff:127.0.0.1]:\(c)/users/x",
                "http://127.0.0.1:\(c)/users/x",
            ]
            // Actor URLs: an inbox request whose signing key lives at an internal address.
            for target in targets {
                let activity: JSON = [
                    "id": .string(target + "/likes/1"), "type": "Like", "actor": .string(target),
                    "object": .string("https://127.0.0.1:\(port)/users/ana"),
                ]
                var request = HTTPClientRequest(method: .post, url: base + "/inbox",
                                                headers: ["Content-Type": "application/activity+json"], body: activity.serializedBytes())
                try HTTPSigner.sign(method: .post, url: "https://127.0.0.1:\(port)/inbox", headers: &request.headers,
                                    body: request.body, keyID: target + "#main-key", key: .ed25519(Ed25519PrivateKey()),
                                    profile: .rfc9421, now: Date())
                let response = try await client.send(request)
                #expect(response.status == .unauthorized || response.status == .forbidden, "\(target): \(response.status)")
                #expect(response.text.contains("may not contact") || response.text.contains("http"), "\(target): \(response.text)")
            }
            // Follows by actor URL and by handle (WebFinger), through the API.
            for target in targets + ["x@localhost:\(c)", "x@127.0.0.1:\(c)", "x@10.0.0.1"] {
                let body: JSON = ["target": .string(target)]
                let response = try await client.send(HTTPClientRequest(
                    method: .post, url: base + "/api/v1/follows",
                    headers: ["Authorization": "Bearer \(token)", "Content-Type": "application/json"], body: body.serializedBytes()))
                #expect(response.status.code >= 400 && response.status.code < 500 || response.status == .badGateway,
                        "\(target): \(response.status)")
                #expect(response.refusal.contains("may not contact") || response.refusal.contains("http"),
                        "\(target): \(response.refusal)")
            }
            #expect(canary.served(0, containing: "/").isEmpty, "nothing reached the canary: \(canary.served(0, containing: "/"))")
            let changed = try await StorageSnapshot.take(directory).changed(since: before)
            #expect(changed.isEmpty, "\(changed)")
        }
    }

    /// Document byte URLs must be on the document's own host: one naming the metadata service,
    /// loopback or a private address is refused when the `Document` arrives, even from a trusted
    /// node in development mode, so no later download can be pointed there.
    @Suite("Server-side request forgery: document URLs") struct DocumentURLs {
        @Test(.timeLimit(.minutes(1))) func documentURLsOffTheirHostAreRefused() async throws {
            let f = try FederationFixture(nodes: 2)
            try f.addMember("mallory", on: 1)
            try f.addCommunity("library", on: 0)
            try f.startAll()
            defer { Task { await f.stopAll() } }
            let community = f.base(0) + "/communities/library"
            let mallory = f.base(1) + "/users/mallory"
            try await f.join([(1, "mallory")], community: community)
            let before = try await StorageSnapshot.take(f)
            let digest = SHA256.hash(Array("lot;price\n".utf8))
            var ids: [String] = []
            for url in ["http://169.254.169.254/latest/meta-data", "http://127.0.0.1:\(f.ports[0])/api/v1/me",
                        "http://10.0.0.1/x.csv", "http://[::1]:\(f.ports[1])/x.csv", "http://localhost:\(f.ports[1])/x.csv"] {
                let objectID = f.base(1) + "/objects/" + UUID().uuidString.lowercased()
                let document: JSON = [
                    "id": .string(objectID), "type": "Document", "attributedTo": .string(mallory), "audience": .string(community),
                    "name": "Prices", "mediaType": "text/csv", "size": 10,
                    "digestMultibase": .string(Multibase.encode([0x12, 0x20] + digest, as: .base58btc)),
                    "url": ["type": "Link", "href": .string(url), "mediaType": "text/csv"],
                ]
                let create = ActivityBuilder.activity(
                    id: f.base(1) + "/activities/" + UUID().uuidString.lowercased(), type: "Create", actor: mallory,
                    object: document, to: [community], audience: community)
                ids.append(try #require(create["id"]?.stringValue))
                let request = try await FederationTests.signedPost(from: f, node: 1, actor: "mallory", to: community + "/inbox",
                                                                    activity: create)
                #expect(try await f.node(1).federation.client.send(request).status == .accepted)
            }
            let wanted = ids
            try await f.eventually("node 0 refuses every Document") {
                try await f.read(0) { db in
                    let dead = try InboxRepository(db).deadLetters()
                    return wanted.allSatisfy { id in dead.contains { $0.activityID == id } }
                }
            }
            let reasons = try await f.read(0) { db in try InboxRepository(db).deadLetters().map(\.reason) }
            #expect(reasons.filter { $0.contains("url must be on its own host") }.count == wanted.count, "\(reasons)")
            #expect(f.served(0, containing: "/api/v1/me").isEmpty)
            #expect(f.served(1, containing: "/x.csv").isEmpty)
            let changed = try await StorageSnapshot.take(f).changed(since: before)
            #expect(Set(changed).isSubset(of: ["inbox_activities", "seen_signatures", "dead_letters", "remote_actors", "remote_keys"]),
                    "\(changed)")
        }
    }

    static func strictSignIn(_ client: HTTPClient, _ base: String) async throws -> String {
        let body: JSON = ["username": "ana", "password": "correct horse battery"]
        let response = try await client.send(HTTPClientRequest(
            method: .post, url: base + "/api/v1/auth/sign-in", headers: ["Content-Type": "application/json"], body: body.serializedBytes()))
        return try #require(try JSON.parse(response.body)["token"]?.stringValue)
    }
}
