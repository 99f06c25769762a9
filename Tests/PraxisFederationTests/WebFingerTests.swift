import PraxisFederation
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct WebFingerTests {
    @Test func parsesResourceForms() throws {
        #expect(try WebFinger.parse(resource: "acct:ana@praxis.test") == .account(username: "ana", domain: "praxis.test"))
        #expect(try WebFinger.parse(resource: "ana@Praxis.Test") == .account(username: "ana", domain: "praxis.test"))
        #expect(try WebFinger.parse(resource: "acct:@ana@praxis.test") == .account(username: "ana", domain: "praxis.test"))
        #expect(try WebFinger.parse(resource: "acct:an%61@praxis.test") == .account(username: "ana", domain: "praxis.test"))
        #expect(try WebFinger.parse(resource: "acct:ana@127.0.0.1:8001") == .account(username: "ana", domain: "127.0.0.1:8001"))
        #expect(try WebFinger.parse(resource: "https://praxis.test/users/ana") == .url("https://praxis.test/users/ana"))
    }

    @Test(arguments: [nil, "", "acct:", "acct:ana", "acct:@praxis.test", "mailto:ana@x", "ana", "acct:ana@", "a b@c",
                      String(repeating: "a", count: 2000) + "@x"])
    func rejectsMalformedResources(_ resource: String?) {
        #expect(throws: WebFinger.Failure.self) { _ = try WebFinger.parse(resource: resource) }
        do {
            _ = try WebFinger.parse(resource: resource)
        } catch {
            guard case .malformed = error else {
                Issue.record("expected malformed, got \(error)")
                return
            }
        }
    }

    @Test func jrdForMembersCommunitiesAndTheNode() throws {
        let node = try TestNode()
        try node.addMember("ana")
        try node.communities.create(.init(name: "cloud", title: "Cloud"))
        let finger = WebFinger(urls: NodeURLs(configuration: node.store.configuration))
        func jrd(_ resource: String, rels: [String] = []) throws -> JSON {
            try node.store.database.read { db in
                try finger.jrd(resource: resource, rels: rels) { try ActorRepository(db).find(username: $0) }
            }
        }
        let ana = try jrd("acct:ana@praxis.test")
        #expect(ana["subject"] == "acct:ana@praxis.test")
        #expect(ana["aliases"] == ["https://praxis.test/users/ana"])
        let links = try #require(ana["links"]?.arrayValue)
        let selfLink = try #require(links.first { $0["rel"] == "self" })
        #expect(selfLink["type"] == "application/activity+json")
        #expect(selfLink["href"] == "https://praxis.test/users/ana")
        #expect(links.contains { $0["rel"] == "http://webfinger.net/rel/profile-page" })
        #expect(ana["properties"]?["https://www.w3.org/ns/activitystreams#type"] == "Person")

        let group = try jrd("https://praxis.test/communities/cloud")
        #expect(group["subject"] == "acct:cloud@praxis.test")
        #expect(group["properties"]?["https://www.w3.org/ns/activitystreams#type"] == "Group")

        let nodeActor = try jrd("acct:node@praxis.test")
        #expect(nodeActor["links"]?[0]?["href"] == "https://praxis.test/actor")

        let filtered = try jrd("acct:ana@praxis.test", rels: ["self"])
        #expect(filtered["links"]?.arrayValue?.count == 1)
    }

    @Test func unknownResourcesAreNotFound() throws {
        let node = try TestNode()
        try node.addMember("ana")
        let finger = WebFinger(urls: NodeURLs(configuration: node.store.configuration))
        for resource in ["acct:bob@praxis.test", "acct:ana@elsewhere.test", "https://praxis.test/communities/ana",
                         "https://elsewhere.test/users/ana", "https://praxis.test/other/ana"] {
            do {
                _ = try node.store.database.read { db in
                    try finger.jrd(resource: resource, rels: []) { try ActorRepository(db).find(username: $0) }
                }
                Issue.record("\(resource) resolved")
            } catch let failure as WebFinger.Failure {
                guard case .notFound = failure else {
                    Issue.record("\(resource): expected notFound, got \(failure)")
                    continue
                }
            }
        }
    }
}

@Suite struct NodeInfoTests {
    @Test func documentFollowsTheSchema() throws {
        let configuration = NodeConfiguration(domain: "praxis.test", name: "Test node")
        let doc = NodeInfo.document(configuration: configuration,
                                    usage: .init(users: 3, activeHalfYear: 2, activeMonth: 1, communities: 4))
        let allowed: Set<String> = ["version", "software", "protocols", "services", "openRegistrations", "usage", "metadata"]
        let keys = Set(try #require(doc.objectValue).keys)
        #expect(keys == allowed)
        #expect(doc["version"] == "2.1")
        let name = try #require(doc["software"]?["name"]?.stringValue)
        #expect(name.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "-" })
        #expect(doc["software"]?["version"]?.stringValue?.isEmpty == false)
        #expect(Set(try #require(doc["software"]?.objectValue).keys).isSubset(of: ["name", "version", "repository", "homepage"]))
        #expect(doc["protocols"] == ["activitypub"])
        #expect(doc["services"]?["inbound"] == [])
        #expect(doc["services"]?["outbound"] == [])
        #expect(doc["openRegistrations"] == false)
        #expect(doc["usage"]?["users"]?["total"] == 3)
        #expect(doc["usage"]?["users"]?["activeHalfyear"] == 2)
        #expect(doc["usage"]?["users"]?["activeMonth"] == 1)
        #expect(doc["metadata"]?["nodeName"] == "Test node")
        #expect(doc["metadata"]?["praxis"]?["httpSignatures"] == ["rfc9421", "draft-cavage-12"])
    }

    @Test func discoveryLinksTheDocument() {
        let urls = NodeURLs(configuration: NodeConfiguration(domain: "127.0.0.1:8001", name: "x", development: true))
        let doc = NodeInfo.discovery(urls: urls)
        #expect(doc["links"]?[0]?["rel"] == "http://nodeinfo.diaspora.software/ns/schema/2.1")
        #expect(doc["links"]?[0]?["href"] == "http://127.0.0.1:8001/nodeinfo/2.1")
    }
}
