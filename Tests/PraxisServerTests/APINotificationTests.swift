import Foundation
import PraxisHTTP
import PraxisJSON
import Testing

#if canImport(FoundationXML)
import FoundationXML
#endif

/// The notification endpoints of the client API and the Atom digest feed.
@Suite struct APINotificationTests {
    /// A node where `cleo` replied to and mentioned `bob`.
    func setUp() async throws -> APITestNode {
        let node = try APITestNode()
        for member in ["bob", "cleo"] { try await node.accept(member, in: "cloud") }
        let social = node.federation.social
        let thread = try await social.post(member: "bob", community: node.community("cloud"), content: "Lots?",
                                           name: "Tom & Jerry <lots>")
        // Another node may send titles with characters XML cannot carry; the feed must still parse.
        try await node.store.database.write { db in
            try db.run("UPDATE objects SET name = ? WHERE id = ?", "Tom & Jerry <lots> \u{1}", thread.id)
        }
        _ = try await social.post(member: "cleo", community: node.community("cloud"), content: "Sum them.",
                                  inReplyTo: thread.id)
        _ = try await social.post(member: "cleo", community: node.community("cloud"), content: "@bob see also this",
                                  name: "Also")
        return node
    }

    @Test func listsCountsAndMarksRead() async throws {
        let node = try await setUp()
        let bob = try await node.signIn("bob")
        let list = try json(try await node.call(.get, "/notifications", token: bob))
        let items = list["notifications"]?.arrayValue ?? []
        #expect(items.compactMap { $0["kind"]?.stringValue } == ["mention", "reply"])
        #expect(items.first?["actor"]?.stringValue == node.person("cleo"))
        #expect(items.first?["title"]?.stringValue == "Also")
        #expect(items.first?["read"] == .bool(false))
        #expect(list["next"] == .null)
        #expect(try json(try await node.call(.get, "/notifications/unread-count", token: bob))["unread"] == .integer(2))

        let page = try json(try await node.call(.get, "/notifications?limit=1", token: bob))
        let newest = try #require(page["notifications"]?[0]?["id"]?.intValue)
        #expect(page["next"] == .integer(newest))
        let older = try json(try await node.call(.get, "/notifications?limit=1&before=\(newest)", token: bob))
        #expect(older["notifications"]?[0]?["kind"]?.stringValue == "reply")

        let marked = try await node.call(.post, "/notifications/read", token: bob, body: ["ids": [.integer(newest)]])
        #expect(marked.status == .ok)
        #expect(try json(marked)["marked"] == .integer(1))
        #expect(try json(marked)["unread"] == .integer(1))
        let unread = try json(try await node.call(.get, "/notifications?unread=true", token: bob))
        #expect(unread["notifications"]?.arrayValue?.count == 1)
        let all = try await node.call(.post, "/notifications/read", token: bob, body: ["all": true])
        #expect(try json(all)["unread"] == .integer(0))
        let upTo = try await node.call(.post, "/notifications/read", token: bob, body: ["upTo": .integer(newest)])
        #expect(try json(upTo)["marked"] == .integer(0))
        // Another member sees only their own.
        let cleo = try await node.signIn("cleo")
        #expect(try json(try await node.call(.get, "/notifications", token: cleo))["notifications"] == .array([]))
    }

    @Test func refusesBadInputAndMissingCredentials() async throws {
        let node = try await setUp()
        let bob = try await node.signIn("bob")
        for query in ["limit=0", "limit=101", "limit=x", "before=-1", "before=abc", "unread=yes"] {
            let response = try await node.call(.get, "/notifications?\(query)", token: bob)
            #expect(response.status == .badRequest, "\(query)")
            #expect(errorField(response) == String(query.prefix { $0 != "=" }))
        }
        let bodies: [JSON] = [
            [:], ["ids": []], ["ids": ["1"]], ["ids": [.integer(0)]], ["all": false], ["upTo": "x"],
            ["ids": [.integer(1)], "all": true],
        ]
        for body in bodies {
            let response = try await node.call(.post, "/notifications/read", token: bob, body: body)
            #expect(response.status == .unprocessableContent, "\(body)")
            #expect(errorCode(response) == "invalid")
        }
        let tooMany = JSON.array((1...501).map { .integer(Int64($0)) })
        #expect(try await node.call(.post, "/notifications/read", token: bob, body: ["ids": tooMany]).status
            == .unprocessableContent)
        #expect(try await node.call(.post, "/notifications/read", token: bob, raw: Array("{".utf8)).status == .badRequest)

        for (method, path) in [(HTTPMethod.get, "/notifications"), (.get, "/notifications/unread-count"),
                               (.post, "/notifications/read"), (.post, "/me/feed-token"), (.delete, "/me/feed-token")] {
            let response = try await node.call(method, path, body: method == .post ? ["all": true] : nil)
            #expect(response.status == .unauthorized, "\(method) \(path)")
            let forged = try await node.call(method, path, token: String(repeating: "x", count: 43),
                                             body: method == .post ? ["all": true] : nil)
            #expect(forged.status == .unauthorized)
        }
    }

    @Test func atomFeedIsWellFormedEscapedAndRevocable() async throws {
        let node = try await setUp()
        let bob = try await node.signIn("bob")
        let created = try await node.call(.post, "/me/feed-token", token: bob)
        #expect(created.status == .created)
        let url = try #require(try json(created)["url"]?.stringValue)
        let token = try #require(try json(created)["token"]?.stringValue)
        #expect(url == "https://praxis.test/feeds/\(token).atom")

        let feed = try await fetch(node, "/feeds/\(token).atom")
        #expect(feed.status == .ok)
        #expect(feed.headers["Content-Type"]?.hasPrefix("application/atom+xml") == true)
        #expect(feed.headers["Cache-Control"] == "private, no-store")
        let text = String(decoding: feed.body, as: UTF8.self)
        #expect(text.contains("Tom &amp; Jerry &lt;lots&gt;"))
        #expect(!text.contains("\u{1}"))
        // Post text never goes into the feed, only titles.
        #expect(!text.contains("Sum them"))
        let parsed = try AtomOutline.parse(feed.body)
        #expect(parsed.root == "feed")
        #expect(parsed.namespace == "http://www.w3.org/2005/Atom")
        #expect(parsed.entries == 2)
        #expect(parsed.titles.contains("@cleo@praxis.test mentioned you in “Also”"))
        #expect(parsed.titles.contains("@cleo@praxis.test replied to “Tom & Jerry <lots> ”"))

        for path in ["/feeds/\(String(repeating: "A", count: 43)).atom", "/feeds/\(token)", "/feeds/x.atom"] {
            #expect(try await fetch(node, path).status == .notFound, "\(path)")
        }
        #expect(try await node.call(.delete, "/me/feed-token", token: bob).status == .noContent)
        #expect(try await fetch(node, "/feeds/\(token).atom").status == .notFound)
    }

    func fetch(_ node: APITestNode, _ path: String) async throws -> HTTPResponse {
        try await node.router.respond(to: HTTPRequest(method: .get, target: path, headers: ["Host": "praxis.test"]))
    }
}

/// The outline of an Atom document, read with a real XML parser: any well-formedness error fails.
final class AtomOutline: NSObject, XMLParserDelegate {
    var root: String?
    var namespace: String?
    var entries = 0
    var titles: [String] = []
    private var path: [String] = []
    private var text = ""

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    static func parse(_ bytes: [UInt8]) throws -> AtomOutline {
        let outline = AtomOutline()
        let parser = XMLParser(data: Data(bytes))
        parser.shouldProcessNamespaces = true
        parser.delegate = outline
        guard parser.parse() else {
            throw Malformed(description: "not well-formed XML: \(parser.parserError.map { "\($0)" } ?? "unknown error")")
        }
        return outline
    }

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?,
                attributes: [String: String] = [:]) {
        if path.isEmpty {
            root = name
            namespace = namespaceURI
        }
        if name == "entry" { entries += 1 }
        path.append(name)
        text = ""
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { text += string }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title", path.dropLast().last == "entry" { titles.append(text) }
        path.removeLast()
    }
}
