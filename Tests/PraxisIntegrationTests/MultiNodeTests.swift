import Foundation
import PraxisCLI
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

/// Real nodes on loopback sockets, discovered the way another fediverse server would: WebFinger,
/// then the actor document its `self` link names, then NodeInfo.
@Suite(.serialized) struct MultiNodeTests {
    static let client: HTTPClient = {
        var configuration = HTTPClientConfiguration()
        configuration.allowInsecureAndPrivate = true
        configuration.requestTimeout = .seconds(10)
        return try! HTTPClient(configuration: configuration)
    }()

    static func get(_ url: String, accept: String = "application/activity+json") async throws -> (HTTPClientResponse, JSON) {
        let response = try await client.send(HTTPClientRequest(method: .get, url: url, headers: ["Accept": accept]))
        return (response, (try? JSON.parse(response.body)) ?? .null)
    }

    @Test func threeNodesAreDiscoverableOverHTTP() async throws {
        let temp = TemporaryDirectory()
        var nodes: [PraxisNode] = []
        for index in 0..<3 {
            let port = freeLoopbackPort()
            let directory = DataDirectory(path: temp.appending("node\(index)"))
            let store = try PraxisCLIFixtures.initialise(directory: directory, domain: "127.0.0.1:\(port)",
                                                         name: "Node \(index)", member: "member\(index)")
            _ = store
            let node = try PraxisNode(directory: directory)
            try node.start()
            nodes.append(node)
        }
        defer {
            let stopping = nodes
            Task { for node in stopping { await node.shutdown(gracePeriod: .seconds(1)) } }
        }

        for (index, node) in nodes.enumerated() {
            let domain = node.store.configuration.domain
            let (finger, jrd) = try await Self.get(
                "\(node.baseURL)/.well-known/webfinger?resource=acct:member\(index)@\(domain)", accept: "application/jrd+json")
            #expect(finger.status == .ok)
            #expect(finger.headers["Access-Control-Allow-Origin"] == "*")
            #expect(jrd["subject"]?.stringValue == "acct:member\(index)@\(domain)")
            let selfLink = try #require(jrd["links"]?.arrayValue?.first { $0["rel"] == "self" })
            let actorURL = try #require(selfLink["href"]?.stringValue)

            let (actorResponse, actor) = try await Self.get(actorURL)
            #expect(actorResponse.status == .ok)
            #expect(actor["id"]?.stringValue == actorURL)
            #expect(actor["preferredUsername"] == .string("member\(index)"))
            // Mastodon's loop-back check: preferredUsername@host resolves to the same actor.
            let (_, again) = try await Self.get(
                "\(node.baseURL)/.well-known/webfinger?resource=acct:\(actor["preferredUsername"]?.stringValue ?? "")@\(domain)")
            #expect(again["links"]?.arrayValue?.first { $0["rel"] == "self" }?["href"]?.stringValue == actorURL)

            let (_, discovery) = try await Self.get("\(node.baseURL)/.well-known/nodeinfo", accept: "application/json")
            let nodeInfoURL = try #require(discovery["links"]?[0]?["href"]?.stringValue)
            let (nodeInfoResponse, nodeInfo) = try await Self.get(nodeInfoURL, accept: "application/json")
            #expect(nodeInfoResponse.status == .ok)
            #expect(nodeInfo["software"]?["name"] == "praxis")
            #expect(nodeInfo["metadata"]?["nodeName"]?.stringValue == "Node \(index)")

            let (groupResponse, group) = try await Self.get("\(node.baseURL)/communities/practice\(index)")
            #expect(groupResponse.status == .ok)
            #expect(group["type"] == "Group")

            let (htmlResponse, _) = try await Self.get(actorURL, accept: "text/html")
            #expect(htmlResponse.headers["Content-Type"] == "text/html; charset=utf-8")
            #expect(htmlResponse.headers["X-Request-Id"]?.isEmpty == false)
        }
    }
}

/// Node fixtures shared by the integration tests.
enum PraxisCLIFixtures {
    static func initialise(directory: DataDirectory, domain: String, name: String, member: String) throws -> NodeStore {
        let node = try PraxisNodeSetupForTests.make(directory: directory, domain: domain, name: name)
        try node.accounts.add(.init(username: member, password: "correct horse battery"))
        try node.communities.create(.init(name: member.replacingOccurrences(of: "member", with: "practice"),
                                          title: "Practice", owner: member))
        return node.store
    }
}
