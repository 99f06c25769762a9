import Foundation
import PraxisSQLite
import PraxisStorage
import PraxisTestSupport
import Testing

@Suite struct SearchIndexTests {
    static let publicAddress = "https://www.w3.org/ns/activitystreams#Public"
    static let cloud = "https://praxis.test/communities/cloud"
    static let secret = "https://praxis.test/communities/secret"
    static let remote = "https://other.test/communities/works"

    /// The store and its temporary folder (kept alive with it).
    struct Fixture {
        let base: TestStore
        var store: NodeStore { base.store }

        init() throws { base = try TestStore() }

        func put(_ id: String, community: String? = SearchIndexTests.cloud, title: String? = nil, html: String,
                 kind: String? = "discussion", inReplyTo: String? = nil, language: String? = nil, tags: [String] = [],
                 type: String = "Page", isPublic: Bool = true, published: Int = 1_700_000_000, accepted: String? = nil)
            throws
        {
            let to = isPublic ? SearchIndexTests.publicAddress : (community ?? "")
            let document = Array("{\"id\":\"\(id)\",\"to\":[\"\(to)\"]}".utf8)
            try store.database.write { db in
                try ObjectRepository(db).upsert(StoredObject(
                    id: id, type: type, attributedTo: "https://praxis.test/users/ana", audience: community,
                    inReplyTo: inReplyTo, name: title, content: html,
                    published: Date(timeIntervalSince1970: TimeInterval(published)), updated: nil, document: document,
                    originDomain: "praxis.test", kind: inReplyTo == nil ? kind : nil, language: language, tags: tags,
                    acceptedAnswer: accepted))
            }
        }

        /// Crude tag stripping, enough for these tests (the node uses PraxisText's PlainText).
        static func plainText(_ html: String) -> String {
            html.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
                .replacingOccurrences(of: "&amp;", with: "&")
        }

        func search(_ text: String, filter: SearchFilter = SearchFilter(), scope: SearchScope? = nil, limit: Int = 20,
                    offset: Int = 0, candidates: Int = SearchIndex.candidateLimit) throws -> [SearchHit] {
            let query = try SearchQuery(parsing: text)
            return try store.database.write { db in
                while try SearchIndex(db).refresh(limit: 3, plainText: Self.plainText) > 0 {}
                return try SearchIndex(db).search(
                    query, filter: filter,
                    scope: scope ?? SearchScope(
                        communities: [SearchIndexTests.cloud, SearchIndexTests.secret], publicRemoteContent: true,
                        localCommunities: [SearchIndexTests.cloud, SearchIndexTests.secret]),
                    limit: limit, offset: offset, candidates: candidates)
            }
        }
    }

    @Test func diacriticsFoldBothWaysAndSnippetsArePlainTextWithMarkers() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/1", title: "Plazos",
                  html: "<p>La <strong>adjudicación</strong> del contrato se publicó ayer.</p>")
        try f.put("https://praxis.test/objects/2", title: "Other", html: "<p>Nothing relevant here</p>")
        let hits = try f.search("adjudicacion")
        #expect(hits.map(\.id) == ["https://praxis.test/objects/1"])
        let snippet = try #require(hits.first?.snippet)
        #expect(snippet.contains("\(SearchIndex.highlightStart)adjudicación\(SearchIndex.highlightEnd)"))
        #expect(!snippet.contains("<"))
        #expect(try f.search("ADJUDICACIÓN").count == 1)
        #expect(try f.search("adjudic*").count == 1)
        #expect(try f.search("\"adjudicacion del contrato\"").count == 1)
        #expect(try f.search("\"contrato adjudicacion\"").isEmpty)
    }

    @Test func japaneseAndChineseTextIsFoundBySubstring() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/ja", title: "入札について", html: "<p>本日、公共調達の入札公告を公開しました。</p>",
                  language: "ja")
        try f.put("https://praxis.test/objects/zh", title: "采购", html: "<p>政府采购项目的招标公告</p>", language: "zh")
        try f.put("https://praxis.test/objects/en", title: "Tender", html: "<p>A public tender notice</p>")
        #expect(try f.search("入札").map(\.id) == ["https://praxis.test/objects/ja"])
        #expect(try f.search("入札公告").map(\.id) == ["https://praxis.test/objects/ja"])
        #expect(try f.search("招标公告").map(\.id) == ["https://praxis.test/objects/zh"])
        #expect(try f.search("契約").isEmpty)
        let short = try #require(try f.search("入札").first)
        #expect(short.snippet.contains("\(SearchIndex.highlightStart)入札\(SearchIndex.highlightEnd)"))
        // A CJK term and a word must both match.
        #expect(try f.search("入札 tender").isEmpty)
    }

    @Test func titlesRankAboveBodiesAndScoresDescend() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/body", title: "Meeting notes",
                  html: "<p>We talked about framework agreements and other things at length.</p>", published: 1_700_000_100)
        try f.put("https://praxis.test/objects/title", title: "Framework agreements",
                  html: "<p>How do you run them?</p>", published: 1_700_000_000)
        let hits = try f.search("framework")
        #expect(hits.map(\.id) == ["https://praxis.test/objects/title", "https://praxis.test/objects/body"])
        #expect(hits[0].score > hits[1].score)
        #expect(hits[1].score > 0)
    }

    @Test func filtersByCommunityKindLanguageAndAnswered() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/q1", title: "Question one", html: "<p>Lots question</p>", kind: "question",
                  language: "es-ES", accepted: "https://praxis.test/objects/r1")
        try f.put("https://praxis.test/objects/r1", html: "<p>Lots answer</p>", inReplyTo: "https://praxis.test/objects/q1")
        try f.put("https://praxis.test/objects/q2", community: Self.secret, title: "Question two", html: "<p>Lots again</p>",
                  kind: "question", language: "fr")
        try f.put("https://praxis.test/objects/d1", title: "Discussion", html: "<p>Lots of talk</p>", language: "fr")
        try f.put("https://praxis.test/objects/doc", title: "Guide", html: "<p>Lots guide</p>", kind: nil, type: "Document")
        func ids(_ filter: SearchFilter) throws -> Set<String> {
            Set(try f.search("lots", filter: filter).map { $0.id.replacingOccurrences(of: "https://praxis.test/objects/", with: "") })
        }
        #expect(try ids(SearchFilter()) == ["q1", "r1", "q2", "d1", "doc"])
        #expect(try ids(SearchFilter(community: Self.secret)) == ["q2"])
        #expect(try ids(SearchFilter(kind: "question")) == ["q1", "r1", "q2"])
        #expect(try ids(SearchFilter(kind: "document")) == ["doc"])
        #expect(try ids(SearchFilter(language: "es")) == ["q1", "r1"])
        #expect(try ids(SearchFilter(language: "fr")) == ["q2", "d1"])
        #expect(try ids(SearchFilter(answered: true)) == ["q1", "r1"])
        #expect(try ids(SearchFilter(answered: false)) == ["q2"])
        let reply = try #require(try f.search("answer").first)
        #expect(reply.threadID == "https://praxis.test/objects/q1")
        #expect(reply.title == "Question one")
        #expect(reply.answered)
    }

    @Test func onlyReadableCommunitiesAreSearchedBeforeTheLimit() throws {
        let f = try Fixture()
        // Many hidden matches newer than the readable one: a filter after the LIMIT would return nothing.
        for index in 0..<10 {
            try f.put("https://praxis.test/objects/hidden\(index)", community: Self.secret, title: "Budget",
                      html: "<p>budget</p>", isPublic: false, published: 1_800_000_000 + index)
        }
        try f.put("https://praxis.test/objects/open", title: "Budget", html: "<p>budget</p>")
        try f.put("https://other.test/objects/remote-public", community: Self.remote, title: "Budget", html: "<p>budget</p>")
        try f.put("https://other.test/objects/remote-members", community: Self.remote, title: "Budget", html: "<p>budget</p>",
                  isPublic: false)
        let outsider = SearchScope(communities: [Self.cloud], publicRemoteContent: true,
                                   localCommunities: [Self.cloud, Self.secret])
        let hits = try f.search("budget", scope: outsider, limit: 2)
        #expect(Set(hits.map(\.id)) == ["https://praxis.test/objects/open", "https://other.test/objects/remote-public"])
        // A guest (no public remote content) of cloud.
        let guest = SearchScope(communities: [Self.cloud], publicRemoteContent: false, localCommunities: [Self.cloud, Self.secret])
        #expect(try f.search("budget", scope: guest).map(\.id) == ["https://praxis.test/objects/open"])
        // A member of the remote community reads its members-only posts.
        let member = SearchScope(communities: [Self.cloud, Self.remote], publicRemoteContent: true,
                                 localCommunities: [Self.cloud, Self.secret])
        #expect(try f.search("budget", scope: member).count == 3)
        #expect(try f.search("budget", scope: .nothing).isEmpty)
        // Pages follow one another without overlap.
        let all = try f.search("budget", limit: 20)
        #expect(all.count == 12)
        let second = try f.search("budget", limit: 5, offset: 5)
        #expect(second.map(\.id) == Array(all[5..<10]).map(\.id))
    }

    @Test func guestTopicLimitsToOneThreadOrTag() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/t1", title: "Energy", html: "<p>energy prices</p>", tags: ["energy"])
        try f.put("https://praxis.test/objects/r1", html: "<p>energy reply</p>", inReplyTo: "https://praxis.test/objects/t1")
        try f.put("https://praxis.test/objects/t2", title: "Other", html: "<p>energy elsewhere</p>")
        let byTag = SearchScope(communities: [Self.cloud], publicRemoteContent: false, localCommunities: [Self.cloud],
                                topic: "energy")
        #expect(Set(try f.search("energy", scope: byTag).map(\.id)) == ["https://praxis.test/objects/t1", "https://praxis.test/objects/r1"])
        let byThread = SearchScope(communities: [Self.cloud], publicRemoteContent: false, localCommunities: [Self.cloud],
                                   topic: "https://praxis.test/objects/t2")
        #expect(try f.search("energy", scope: byThread).map(\.id) == ["https://praxis.test/objects/t2"])
    }

    @Test func editsAndDeletesReachTheIndex() throws {
        let f = try Fixture()
        let id = "https://praxis.test/objects/e"
        try f.put(id, title: "Edited", html: "<p>original wording</p>")
        #expect(try f.search("original").count == 1)
        try f.put(id, title: "Edited", html: "<p>revised wording</p>")
        #expect(try f.search("original").isEmpty)
        #expect(try f.search("revised").count == 1)
        try f.store.database.write { db in try ObjectRepository(db).markDeleted(id: id) }
        #expect(try f.search("revised").isEmpty)
        try f.put("https://praxis.test/objects/gone", title: "Gone", html: "<p>vanishing</p>")
        #expect(try f.search("vanishing").count == 1)
        try f.store.database.write { db in try db.run("DELETE FROM objects WHERE id = ?", "https://praxis.test/objects/gone") }
        #expect(try f.search("vanishing").isEmpty)
        let rows = try f.store.database.read { db in try db.scalar(Int.self, "SELECT count(*) FROM search_documents") }
        #expect(rows == 1)
    }

    @Test func repliesReceivedBeforeTheirThreadJoinItLater() throws {
        let f = try Fixture()
        try f.put("https://other.test/objects/reply", html: "<p>orphan reply</p>", inReplyTo: "https://other.test/objects/q")
        #expect(try f.search("orphan").first?.threadID == "https://other.test/objects/reply")
        try f.put("https://other.test/objects/q", title: "The question", html: "<p>asked</p>", kind: "question")
        let hit = try #require(try f.search("orphan").first)
        #expect(hit.threadID == "https://other.test/objects/q")
        #expect(hit.kind == "question")
        #expect(hit.title == "The question")
    }

    @Test func queriesAreParsedSafely() throws {
        #expect(throws: SearchError.self) { try SearchQuery(parsing: "  ") }
        #expect(throws: SearchError.self) { try SearchQuery(parsing: "\"unclosed phrase") }
        #expect(throws: SearchError.self) { try SearchQuery(parsing: "*") }
        #expect(throws: SearchError.self) { try SearchQuery(parsing: "a*") }
        #expect(try SearchQuery(parsing: "ad*").terms.map(\.isPrefix) == [true])
        #expect(throws: SearchError.self) { try SearchQuery(parsing: "!!! ???") }
        #expect(throws: SearchError.self) { try SearchQuery(parsing: String(repeating: "a ", count: 200)) }
        #expect(throws: SearchError.self) { try SearchQuery(parsing: (1...17).map { "w\($0)" }.joined(separator: " ")) }
        let query = try SearchQuery(parsing: "adjudic* \"public tender\" 入札")
        #expect(query.terms.map(\.text) == ["adjudic", "public tender", "入札"])
        #expect(query.terms.map(\.isPrefix) == [true, false, false])
        #expect(query.terms.map(\.isCJK) == [false, false, true])
        // FTS5 syntax in user input is ordinary text, never an error.
        let f = try Fixture()
        try f.put("https://praxis.test/objects/x", title: "Near", html: "<p>near and or not</p>")
        for text in ["NEAR(a b)", "title:near", "a AND OR", "(near", "near^", "-near", "near\"\""] {
            _ = try f.search(text)
        }
        #expect(try f.search("title:near").isEmpty)
        #expect(try f.search("NEAR AND").count == 1)
    }

    @Test func existingObjectsAreIndexedByTheMigration() throws {
        let temp = TemporaryDirectory()
        let path = temp.appending("old.sqlite")
        let before = Array(Schema.migrations.prefix { $0.version < 14 })
        do {
            let old = try Database(path: path, migrations: before, readers: 1)
            try old.write { db in
                try ObjectRepository(db).upsert(StoredObject(
                    id: "https://praxis.test/objects/old", type: "Page", attributedTo: "https://praxis.test/users/ana",
                    audience: Self.cloud, inReplyTo: nil, name: "Old", content: "<p>procurement history</p>",
                    published: nil, updated: nil, document: Array("{}".utf8), originDomain: "praxis.test", kind: "discussion"))
            }
        }
        let upgraded = try Database(path: path, migrations: Schema.migrations, readers: 1)
        let hits = try upgraded.write { db -> [SearchHit] in
            while try SearchIndex(db).refresh(plainText: Fixture.plainText) > 0 {}
            return try SearchIndex(db).search(
                try SearchQuery(parsing: "history"), scope: SearchScope(
                    communities: [Self.cloud], publicRemoteContent: false, localCommunities: [Self.cloud]), limit: 5)
        }
        #expect(hits.map(\.id) == ["https://praxis.test/objects/old"])
    }

    @Test func onlyTheNewestMatchesAreRankedAndChecksUseTheNarrowIndex() throws {
        let f = try Fixture()
        // The best match (the word in its title) is the oldest; with room for three candidates
        // only the three newest matches are ranked, the newest first among equals.
        try f.put("https://praxis.test/objects/old", title: "Tender", html: "<p>tender</p>", published: 1_000)
        for index in 1...4 {
            try f.put("https://praxis.test/objects/\(index)", html: "<p>a tender notice</p>", published: 1_000 + index)
        }
        try f.put("https://praxis.test/objects/secret", community: Self.remote, html: "<p>tender</p>", isPublic: false,
                  published: 9_000)
        let all = try f.search("tender")
        #expect(all.first?.id == "https://praxis.test/objects/old")
        #expect(all.count == 5)
        let capped = try f.search("tender", candidates: 3)
        #expect(capped.map(\.id) == (2...4).reversed().map { "https://praxis.test/objects/\($0)" })
        // Unreadable matches do not take candidate places.
        #expect(!capped.contains { $0.id.hasSuffix("secret") })
        #expect(try f.search("tender", limit: 2, offset: 2, candidates: 3).map(\.id) == ["https://praxis.test/objects/2"])
        let plan = try f.store.database.read { db in
            try db.query(
                "EXPLAIN QUERY PLAN SELECT 1 FROM objects o INDEXED BY objects_search WHERE o.id = ? AND o.deleted_at IS NULL",
                "x"
            ).map { try $0.get("detail", as: String.self) }
        }
        #expect(plan.contains { $0.contains("COVERING INDEX objects_search") }, "\(plan)")
    }

    @Test func shortChineseAndJapaneseTermsAreFoundThroughPairsWithFilters() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/zh1", title: "采购", html: "<p>政府采购项目的招标公告</p>", kind: "question",
                  language: "zh")
        try f.put("https://praxis.test/objects/zh2", community: Self.secret, title: "合同", html: "<p>合同管理与采购</p>",
                  language: "zh-Hans")
        try f.put("https://praxis.test/objects/ja", title: "入札", html: "<p>公共調達のお知らせ</p>", language: "ja")
        func ids(_ text: String, _ filter: SearchFilter = SearchFilter()) throws -> Set<String> {
            Set(try f.search(text, filter: filter).map { $0.id.replacingOccurrences(of: "https://praxis.test/objects/", with: "") })
        }
        #expect(try ids("采购") == ["zh1", "zh2"])
        #expect(try ids("采") == ["zh1", "zh2"])
        #expect(try ids("购") == ["zh1", "zh2"])  // the last letter of a run
        #expect(try ids("府采") == ["zh1"])
        #expect(try ids("采府").isEmpty)  // both letters occur, never in this order
        #expect(try ids("采购", SearchFilter(community: Self.secret)) == ["zh2"])
        #expect(try ids("采购", SearchFilter(kind: "question")) == ["zh1"])
        #expect(try ids("采购", SearchFilter(language: "zh")) == ["zh1", "zh2"])
        #expect(try ids("采购", SearchFilter(language: "zh-hans")) == ["zh2"])
        #expect(try ids("お知", SearchFilter(language: "ja")) == ["ja"])
        #expect(try ids("政府采购", SearchFilter(community: Self.secret)).isEmpty)
        #expect(try ids("政府采购", SearchFilter(kind: "question")) == ["zh1"])
        #expect(SearchIndex.cjkPairs("采购A合同。入") == "采购 购 合同 同 入 ")
    }

    @Test func repliesFollowTheirThreadsAcceptedAnswerKindAndLanguage() throws {
        let f = try Fixture()
        try f.put("https://praxis.test/objects/q", title: "Lots question", html: "<p>lots</p>", kind: "question",
                  language: "fr")
        try f.put("https://praxis.test/objects/r", html: "<p>lots reply</p>", inReplyTo: "https://praxis.test/objects/q")
        func ids(_ filter: SearchFilter) throws -> Set<String> {
            Set(try f.search("lots", filter: filter).map { $0.id.replacingOccurrences(of: "https://praxis.test/objects/", with: "") })
        }
        #expect(try ids(SearchFilter(answered: true)).isEmpty)
        #expect(try ids(SearchFilter(answered: false)) == ["q", "r"])
        #expect(try ids(SearchFilter(language: "fr")) == ["q", "r"])
        // Accepting an answer changes no indexed text: a trigger updates the rows in place.
        try f.store.database.write { db in
            try db.run("UPDATE objects SET accepted_answer = ? WHERE id = ?", "https://praxis.test/objects/r",
                       "https://praxis.test/objects/q")
            #expect(try !SearchIndex(db).hasStale())
        }
        #expect(try ids(SearchFilter(answered: true)) == ["q", "r"])
        #expect(try ids(SearchFilter(answered: false)).isEmpty)
        // An edit that keeps the thread's kind and language indexes the thread alone.
        try f.store.database.write { db in
            try db.run("UPDATE objects SET content = '<p>lots, edited</p>' WHERE id = ?", "https://praxis.test/objects/q")
            _ = try SearchIndex(db).refresh(limit: 10, plainText: Fixture.plainText)
            #expect(try !SearchIndex(db).hasStale())
        }
        // The thread's language and kind change: its replies are indexed again with them.
        try f.store.database.write { db in
            try db.run("UPDATE objects SET language = 'nl', kind = 'discussion' WHERE id = ?", "https://praxis.test/objects/q")
        }
        #expect(try ids(SearchFilter(language: "nl")) == ["q", "r"])
        #expect(try ids(SearchFilter(language: "fr")).isEmpty)
        #expect(try ids(SearchFilter(kind: "discussion")) == ["q", "r"])
        #expect(try ids(SearchFilter(kind: "question")).isEmpty)
    }

    @Test func version22IndexIsCopiedWithFacetsNotRebuilt() throws {
        let temp = TemporaryDirectory()
        let path = temp.appending("v22.sqlite")
        let rows: [(id: String, community: String, kind: String?, language: String?, inReplyTo: String?, text: String)] = [
            ("q", Self.cloud, "question", "es-ES", nil, "plazo de adjudicación 采购"),
            ("r", Self.cloud, nil, nil, "q", "respuesta sobre el plazo"),
            ("d", Self.secret, "discussion", "fr", nil, "plazo et délai"),
        ]
        do {
            let old = try Database(path: path, migrations: Array(Schema.migrations.prefix { $0.version <= 22 }), readers: 1)
            try old.write { db in
                for row in rows {
                    let id = "https://praxis.test/objects/" + row.id
                    try ObjectRepository(db).upsert(StoredObject(
                        id: id, type: "Page", attributedTo: "https://praxis.test/users/ana", audience: row.community,
                        inReplyTo: row.inReplyTo.map { "https://praxis.test/objects/" + $0 }, name: nil,
                        content: "<p>\(row.text)</p>", published: Date(timeIntervalSince1970: 1_700_000_000), updated: nil,
                        document: Array("{\"to\":[\"\(Self.publicAddress)\"]}".utf8), originDomain: "praxis.test",
                        kind: row.kind, language: row.language, acceptedAnswer: row.id == "q" ? "https://praxis.test/objects/r" : nil))
                }
                // What version 22 indexed for them: the text, and each row marked current.
                for row in rows {
                    let id = "https://praxis.test/objects/" + row.id
                    let doc = try #require(try db.scalar(Int64.self, "SELECT id FROM search_documents WHERE object_id = ?", id))
                    let cjk = row.text.contains("采")
                    try db.run("INSERT INTO search_text (rowid, title, body, tags) VALUES (?, '', ?, '')", doc, row.text)
                    if cjk { try db.run("INSERT INTO search_cjk (rowid, title, body, tags) VALUES (?, '', ?, '')", doc, row.text) }
                    try db.run(
                        "UPDATE search_documents SET stale = 0, thread_id = ?, kind = ?, is_public = 1, has_cjk = ? WHERE id = ?",
                        "https://praxis.test/objects/" + (row.inReplyTo ?? row.id), row.kind ?? "question", cjk, doc)
                }
            }
        }
        let upgraded = try Database(path: path, migrations: Schema.migrations, readers: 1)
        func ids(_ text: String, _ filter: SearchFilter = SearchFilter()) throws -> Set<String> {
            try upgraded.read { db in
                #expect(try !SearchIndex(db).hasStale(), "the migration copies the index, it does not mark it for rebuilding")
                return Set(try SearchIndex(db).search(
                    try SearchQuery(parsing: text), filter: filter, scope: SearchScope(
                        communities: [Self.cloud, Self.secret], publicRemoteContent: false,
                        localCommunities: [Self.cloud, Self.secret]), limit: 10
                ).map { $0.id.replacingOccurrences(of: "https://praxis.test/objects/", with: "") })
            }
        }
        #expect(try ids("plazo") == ["q", "r", "d"])
        #expect(try ids("plazo", SearchFilter(community: Self.secret)) == ["d"])
        #expect(try ids("plazo", SearchFilter(language: "es")) == ["q", "r"])
        #expect(try ids("plazo", SearchFilter(kind: "question", answered: true)) == ["q", "r"])
        #expect(try ids("采") == ["q"])
        #expect(try ids("采购", SearchFilter(language: "es-es")) == ["q"])
    }
}
