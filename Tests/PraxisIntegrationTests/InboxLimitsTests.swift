import Foundation
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// Abuse limits at a real node's inbox and on signed fetches: each refusal is a 4xx (429 with
/// `Retry-After` for rates) with a message, and stores nothing.
@Suite(.serialized) struct InboxLimitsTests {
    /// Gives node `index` the limits `change` makes, before it starts.
    static func setLimits(_ f: FederationFixture, _ index: Int, _ change: (inout AbuseLimits) -> Void) throws {
        var configuration = try NodeConfiguration.load(from: f.directory(index))
        var limits = configuration.effectiveLimits
        change(&limits)
        configuration.limits = limits
        try configuration.save(to: f.directory(index))
    }

    /// The same request as the HTTP server would hand it over from `address`.
    static func inProcess(_ request: HTTPClientRequest, from address: String) throws -> HTTPRequest {
        HTTPRequest(method: request.method, target: try HTTPClientURL(request.url).target,
                    headers: request.headers, body: request.body, remoteAddress: address)
    }

    static func text(_ response: HTTPClientResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test(.timeLimit(.minutes(2))) func oversizedActivitiesAndFloodingNodesAreRefusedAndStoreNothing() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try Self.setLimits(f, 0) { limits in
            limits.inboxPerNode = .init(perSecond: 0.001, burst: 6)
            limits.failedSignaturesPerAddress = .init(perSecond: 0.001, burst: 4)
        }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let inbox = f.base(0) + "/inbox"
        let target = f.base(0) + "/users/ana"
        let client = f.node(1).federation.client
        func post(_ activity: JSON, node: Int = 1, actor: String = "bob") async throws -> HTTPClientResponse {
            try await client.send(try await FederationTests.signedPost(from: f, node: node, actor: actor, to: inbox, activity: activity))
        }
        #expect(try await post(FederationTests.like(f, node: 1, actor: "bob", object: target)).status == .accepted)
        let before = try await InboxSecurityTests.traces(f)

        // Too many recipients, tags, attachments (the last in the embedded object): 400, nothing stored.
        var crowded = FederationTests.like(f, node: 1, actor: "bob", object: target)
        crowded["to"] = .array((0...100).map { .string(f.base(0) + "/users/u\($0)") })
        let crowdedResponse = try await post(crowded)
        #expect(crowdedResponse.status == .badRequest)
        #expect(Self.text(crowdedResponse).contains("101 recipients"), "\(Self.text(crowdedResponse))")
        var tagged = FederationTests.like(f, node: 1, actor: "bob", object: target)
        tagged["tag"] = .array((0..<51).map { _ in ["type": "Hashtag", "name": "#x"] })
        #expect(Self.text(try await post(tagged)).contains("51 tags"))
        var attached = FederationTests.like(f, node: 1, actor: "bob", object: target)
        attached["type"] = "Create"
        attached["object"] = [
            "id": .string(f.base(1) + "/objects/many"), "type": "Note", "content": "hi",
            "attachment": .array((0..<21).map { _ in ["type": "Document", "url": .string(f.base(1) + "/d")] }),
        ]
        let attachedResponse = try await post(attached)
        #expect(attachedResponse.status == .badRequest)
        #expect(Self.text(attachedResponse).contains("21 attachments"))
        #expect(try await InboxSecurityTests.traces(f) == before)

        // Bob's node has spent 4 of its 6; two more pass, then 429 with Retry-After, nothing stored.
        for _ in 0..<2 { #expect(try await post(FederationTests.like(f, node: 1, actor: "bob", object: target)).status == .accepted) }
        let afterBurst = try await InboxSecurityTests.traces(f)
        let flooded = try await post(FederationTests.like(f, node: 1, actor: "bob", object: target))
        #expect(flooded.status == .tooManyRequests)
        #expect(Int(flooded.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(Self.text(flooded).contains(f.domain(1)) && Self.text(flooded).contains("retry after"))
        #expect(try await InboxSecurityTests.traces(f) == afterBurst)

        // Another node is not affected by Bob's node's flood.
        #expect(try await post(FederationTests.like(f, node: 2, actor: "carla", object: target), node: 2, actor: "carla").status
            == .accepted)

        // Someone naming Carla's node's key with a forged signature spends the budget of their own
        // address, not that of Carla's node.
        for attempt in 0..<5 {
            var forged = try await FederationTests.signedPost(
                from: f, node: 2, actor: "carla", to: inbox, activity: FederationTests.like(f, node: 2, actor: "carla", object: target))
            var headers = HTTPHeaders([("Content-Type", "application/activity+json")])
            try HTTPSigner.sign(method: .post, url: inbox, headers: &headers, body: forged.body,
                                keyID: f.base(2) + "/users/carla#ed25519-key", key: .ed25519(Ed25519PrivateKey()),
                                profile: .rfc9421, now: Date())
            forged.headers = headers
            let response = try await client.send(forged)
            #expect(response.status == (attempt < 4 ? .unauthorized : .tooManyRequests), "\(Self.text(response))")
            if attempt == 4 { #expect(Self.text(response).contains("failed signature verification")) }
        }
        // Carla's node, from its own address, still has the rest of its burst (1 of 6 spent).
        let pipeline = f.node(0).federation.pipeline
        for index in 0..<6 {
            let genuine = try await FederationTests.signedPost(
                from: f, node: 2, actor: "carla", to: inbox, activity: FederationTests.like(f, node: 2, actor: "carla", object: target))
            let response = await pipeline.receive(try Self.inProcess(genuine, from: "198.51.100.20"), recipient: "/inbox")
            #expect(response.status == (index < 5 ? .accepted : .tooManyRequests), "\(index)")
        }
    }

    @Test(.timeLimit(.minutes(2))) func signedFetchesArePerNodeAndAddressLimited() async throws {
        let f = try FederationFixture(nodes: 2)
        try f.addMember("ana", on: 0)
        try f.addMember("bob", on: 1)
        try Self.setLimits(f, 0) { $0.fetchesPerNode = .init(perSecond: 0.001, burst: 2) }
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let url = f.base(0) + "/users/ana"
        let client = f.node(1).federation.client
        func signedGet(keyID: String) async throws -> HTTPClientResponse {
            let store = try NodeStore(directory: f.directory(1))
            let keys = try LocalKeyring(store: store, urls: NodeURLs(configuration: store.configuration)).keys(for: "bob")
            var request = HTTPClientRequest(method: .get, url: url, headers: ["Accept": "application/activity+json"])
            try HTTPSigner.sign(method: .get, url: url, headers: &request.headers, body: [], keyID: keyID,
                                key: .ed25519(keys.ed25519), profile: .rfc9421, now: Date())
            return try await client.send(request)
        }
        let bobKey = f.base(1) + "/users/bob#ed25519-key"
        for _ in 0..<2 { #expect(try await signedGet(keyID: bobKey).status == .ok) }
        let refused = try await signedGet(keyID: bobKey)
        #expect(refused.status == .tooManyRequests)
        #expect(refused.headers["Retry-After"] != nil)
        #expect(Self.text(refused).contains("fetches more than this node allows"))
        // Unsigned reads of public documents are not charged to any node.
        let unsigned = try await client.send(HTTPClientRequest(method: .get, url: url, headers: ["Accept": "application/activity+json"]))
        #expect(unsigned.status == .ok)
    }
}
