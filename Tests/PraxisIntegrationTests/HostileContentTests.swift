import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

/// A reply containing script, event-handler attributes or `javascript:` links is stored and shown
/// inert on every node, whether it was written here in Markdown or sent by another node as HTML.
@Suite(.serialized) struct HostileContentTests {
    /// True when no tag in `html` is a script, frame or image, and no tag carries an event
    /// handler, a style or a `javascript:` URL. Escaped text (`&lt;script&gt;`) is inert and allowed.
    static func isInert(_ html: String) -> Bool {
        var rest = Substring(html.lowercased())
        while let open = rest.firstIndex(of: "<") {
            guard let close = rest[open...].firstIndex(of: ">") else { return false }
            let tag = rest[rest.index(after: open)..<close]
            let name = tag.prefix { !$0.isWhitespace && $0 != "/" }
            if ["script", "img", "iframe", "svg", "object", "embed", "style"].contains(String(name)) { return false }
            let attributes = tag.dropFirst(name.count).split(whereSeparator: \.isWhitespace)
            for attribute in attributes {
                if attribute.hasPrefix("on") || attribute.hasPrefix("style") { return false }
            }
            if tag.contains("javascript:") { return false }
            rest = rest[rest.index(after: close)...]
        }
        return true
    }

    @Test(.timeLimit(.minutes(2))) func scriptsAndJavascriptLinksAreInertOnEveryNode() async throws {
        let f = try FederationFixture(nodes: 3)
        try f.addMember("mallory", on: 0)
        try f.addMember("bob", on: 1)
        try f.addMember("carla", on: 2)
        try f.addCommunity("practice", on: 1)
        try f.startAll()
        defer { Task { await f.stopAll() } }
        let community = f.base(1) + "/communities/practice"
        try await f.join([(0, "mallory"), (1, "bob"), (2, "carla")], community: community)
        let thread = try await f.node(1).federation.social.post(member: "bob", community: community, content: "Question?")
        try await f.eventually("the thread reaches node 0") { try await f.read(0) { db in try ObjectRepository(db).find(id: thread.id) } != nil }

        // Written here, in Markdown.
        let markdown = try await f.node(0).federation.social.post(
            member: "mallory", community: community,
            content: "<script>alert(1)</script> <img src=x onerror=alert(1)> [click](javascript:alert(1))", inReplyTo: thread.id)
        // Sent as raw HTML by a node that does not sanitise (signed with Mallory's real key).
        let objectID = f.base(0) + "/objects/" + UUID().uuidString.lowercased()
        let hostileHTML = "<p>hi<script>alert(document.cookie)</script><a href=\"javascript:alert(1)\" onclick=\"steal()\">link</a>"
            + "<img src=x onerror=alert(1)><iframe src=\"https://evil.example\"></iframe><b style=\"x\">bold</b></p>"
        let create: JSON = [
            "@context": "https://www.w3.org/ns/activitystreams",
            "id": .string(f.base(0) + "/activities/" + UUID().uuidString.lowercased()),
            "type": "Create", "actor": .string(f.base(0) + "/users/mallory"), "audience": .string(community),
            "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [.string(community)],
            "object": [
                "id": .string(objectID), "type": "Note", "attributedTo": .string(f.base(0) + "/users/mallory"),
                "inReplyTo": .string(thread.id), "audience": .string(community), "content": .string(hostileHTML),
                "to": ["https://www.w3.org/ns/activitystreams#Public"],
            ],
        ]
        let request = try await FederationTests.signedPost(from: f, node: 0, actor: "mallory", to: community + "/inbox",
                                                            activity: create)
        #expect(try await f.node(0).federation.client.send(request).status == .accepted)

        for node in 0..<3 {
            for id in [markdown.id, objectID] where !(node == 0 && id == objectID) {
                try await f.eventually("node \(node) has \(id)") { try await f.read(node) { db in try ObjectRepository(db).find(id: id) } != nil }
                let stored = try #require(try await f.read(node) { db in try ObjectRepository(db).find(id: id) })
                #expect(Self.isInert(stored.content), "node \(node): \(stored.content)")
            }
        }
        let raw = try #require(try await f.read(2) { db in try ObjectRepository(db).find(id: objectID) })
        #expect(raw.content.contains("<b>bold</b>"), "harmless markup survives: \(raw.content)")
        #expect(raw.content.contains("link"), "the refused link keeps its text")

        // The community's page on its own node shows both replies inert.
        let page = try await f.node(2).federation.client.send(HTTPClientRequest(url: community, headers: ["Accept": "text/html"]))
        let fullPage = String(decoding: page.body, as: UTF8.self)
        // The page's own layout has a <style> element in its head; the posts are in <main>.
        let html = String(fullPage.split(separator: "<main>").last?.split(separator: "</main>").first ?? "")
        #expect(html.contains("hi"))
        #expect(Self.isInert(html), "\(html)")
    }
}
