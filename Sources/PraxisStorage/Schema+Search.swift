import Foundation
import PraxisJSON
import PraxisSQLite

extension Schema {
    /// Version 14: the full-text search index over content objects (threads, replies, documents),
    /// local and remote alike.
    ///
    /// `search_documents` has one row per object and gives it the integer rowid the FTS5 tables
    /// need (`objects` is keyed by its URL). Two FTS5 tables hold the plain text: `search_text`
    /// with `unicode61 remove_diacritics 2` (so "adjudicacion" finds "adjudicación"), and
    /// `search_cjk` with the `trigram` tokenizer, only for rows with Chinese, Japanese or Korean
    /// text, which has no spaces between words.
    ///
    /// Triggers on `objects` keep the index in step with every write, local or received, edits and
    /// deletes included: a change removes the object's text from the index at once and marks its
    /// row stale. Turning sanitised HTML into plain text needs Swift, so ``SearchIndex/refresh(limit:plainText:)``
    /// indexes stale rows again; the search use case runs it before every query, so a query never
    /// sees outdated or deleted text.
    static let search = Migration(version: 14, name: "full-text search index", sql: """
        CREATE TABLE search_documents (
            id INTEGER PRIMARY KEY,
            object_id TEXT NOT NULL UNIQUE,
            stale INTEGER NOT NULL DEFAULT 1,
            -- Set when the row is indexed: the thread the object belongs to, the thread's kind
            -- ('document' for documents), whether the object is addressed to the public, and
            -- whether it has a row in search_cjk.
            thread_id TEXT,
            kind TEXT,
            is_public INTEGER NOT NULL DEFAULT 0,
            has_cjk INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX search_documents_stale ON search_documents (id) WHERE stale = 1;
        CREATE VIRTUAL TABLE search_text USING fts5(
            title, body, tags, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3');
        CREATE VIRTUAL TABLE search_cjk USING fts5(title, body, tags, tokenize = 'trigram');

        -- No INSERT OR IGNORE in these triggers: the conflict policy of the statement that fires a
        -- trigger (an upsert, say) overrides the trigger's own.
        CREATE TRIGGER objects_search_insert AFTER INSERT ON objects BEGIN
            INSERT INTO search_documents (object_id)
                SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM search_documents WHERE object_id = NEW.id);
            UPDATE search_documents SET stale = 1 WHERE object_id = NEW.id;
            -- Replies that arrived before this object: their thread may be this one's now.
            UPDATE search_documents SET stale = 1
                WHERE object_id IN (SELECT id FROM objects WHERE in_reply_to = NEW.id);
        END;
        CREATE TRIGGER objects_search_update
        AFTER UPDATE OF name, content, tags, language, kind, audience, in_reply_to, deleted_at, document, type ON objects
        BEGIN
            DELETE FROM search_text WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
            DELETE FROM search_cjk WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
            INSERT INTO search_documents (object_id)
                SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM search_documents WHERE object_id = NEW.id);
            UPDATE search_documents SET stale = 1 WHERE object_id = NEW.id;
        END;
        CREATE TRIGGER objects_search_delete AFTER DELETE ON objects BEGIN
            DELETE FROM search_text WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
            DELETE FROM search_cjk WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
            DELETE FROM search_documents WHERE object_id = OLD.id;
        END;

        INSERT INTO search_documents (object_id) SELECT id FROM objects;
        """)

    /// Version 20: what a search checks on every match (readable community, deletion, date,
    /// language, origin, and on the thread its kind and accepted answer) in a narrow index, so
    /// checking thousands of matches does not read the wide object rows with their documents.
    static let searchLookups = Migration(version: 21, name: "narrow index for search checks", sql: """
        CREATE INDEX objects_search ON objects (id, audience, deleted_at, published, language, origin_domain,
            kind, accepted_answer);
        """)
}

/// A search that cannot run as written, with a message saying how to write it.
public struct SearchError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A parsed search query: words, `prefix*` words and `"quoted phrases"`, all of which must match.
///
/// User input never reaches FTS5 as syntax: every term becomes a quoted FTS5 string, so `AND`,
/// `NEAR`, parentheses, colons and stray quotes are ordinary text. Terms with Chinese, Japanese or
/// Korean characters are searched in the trigram index.
public struct SearchQuery: Sendable, Equatable {
    public struct Term: Sendable, Equatable {
        public var text: String
        public var isPrefix: Bool
        public var isPhrase: Bool
        /// Whether the term has CJK characters (searched by substring, not by word).
        public var isCJK: Bool
    }

    public let terms: [Term]

    public static let maxLength = 256
    public static let maxTerms = 16

    /// Parses what a person typed.
    /// - Throws: `SearchError` for an empty query, one that is too long or has too many terms, an
    ///   unclosed quotation mark, or a `*` that follows no word.
    public init(parsing input: String) throws(SearchError) {
        let text = input.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { throw SearchError("type at least one word to search for") }
        guard text.count <= Self.maxLength else {
            throw SearchError("a search may have at most \(Self.maxLength) characters")
        }
        var terms: [Term] = []
        var index = text.startIndex
        while index < text.endIndex {
            let character = text[index]
            if character.isWhitespace {
                index = text.index(after: index)
                continue
            }
            var word: String
            var isPhrase = false
            if character == "\"" {
                let start = text.index(after: index)
                guard let end = text[start...].firstIndex(of: "\"") else {
                    throw SearchError("a quotation mark is not closed; write phrases as \"public tender\"")
                }
                word = String(text[start..<end])
                isPhrase = true
                index = text.index(after: end)
            } else {
                let end = text[index...].firstIndex { $0.isWhitespace || $0 == "\"" } ?? text.endIndex
                word = String(text[index..<end])
                index = end
            }
            var isPrefix = false
            if isPhrase {
                if index < text.endIndex, text[index] == "*" {
                    isPrefix = true
                    index = text.index(after: index)
                }
            } else {
                while word.hasSuffix("*") {
                    word.removeLast()
                    isPrefix = true
                }
                if isPrefix, word.isEmpty {
                    throw SearchError("\"*\" marks a prefix and must follow a word, as in adjudic*")
                }
            }
            let cleaned = word.replacingOccurrences(of: "\"", with: " ").trimmingCharacters(in: .whitespaces)
            // Terms of punctuation only have no words to match.
            guard cleaned.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil })
            else { continue }
            let isCJK = cleaned.unicodeScalars.contains(where: Self.isCJK)
            // FTS5 has no index for one-letter prefixes: `a*` would merge the lists of every word
            // starting with a (hundreds of milliseconds on a large node) to find nothing useful.
            if isPrefix, !isCJK, cleaned.count < 2 {
                throw SearchError("a prefix needs at least two letters before the *, as in ad*")
            }
            terms.append(Term(text: cleaned, isPrefix: isPrefix && !isCJK, isPhrase: isPhrase, isCJK: isCJK))
        }
        guard !terms.isEmpty else { throw SearchError("the search has no words in it; type a word to search for") }
        guard terms.count <= Self.maxTerms else {
            throw SearchError("a search may have at most \(Self.maxTerms) words or phrases")
        }
        self.terms = terms
    }

    /// Chinese, Japanese and Korean scripts, written without spaces between words.
    static func isCJK(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x3040...0x30FF, 0x31F0...0x31FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xAC00...0xD7AF, 0xF900...0xFAFF,
            0xFF66...0xFF9F, 0x20000...0x2FFFF:
            true
        default:
            false
        }
    }

    /// The FTS5 phrases of the word terms, in order.
    var wordPhrases: [String] { terms.filter { !$0.isCJK }.map { Self.quoted($0.text) + ($0.isPrefix ? "*" : "") } }

    /// The FTS5 expression for the word terms (implicit AND), or nil when there are none.
    var wordExpression: String? { wordPhrases.isEmpty ? nil : wordPhrases.joined(separator: " ") }

    /// The FTS5 phrases of CJK terms long enough for the trigram index (three characters).
    var trigramPhrases: [String] {
        terms.filter { $0.isCJK && $0.text.unicodeScalars.count >= 3 }.map { Self.quoted($0.text) }
    }

    /// The FTS5 expression for the trigram phrases, or nil when there are none.
    var trigramExpression: String? { trigramPhrases.isEmpty ? nil : trigramPhrases.joined(separator: " ") }

    /// CJK terms of one or two characters: the trigram index cannot find them, so they are
    /// matched as substrings of the (CJK-only) rows.
    var shortCJKTerms: [String] { terms.filter { $0.isCJK && $0.text.unicodeScalars.count < 3 }.map(\.text) }

    static func quoted(_ text: String) -> String { "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}

/// Which content a searcher may read, decided by the authorisation rules (in PraxisCommunity)
/// and applied inside the SQL query, so pages stay full and nothing unreadable is counted.
public struct SearchScope: Sendable, Equatable {
    /// Communities (actor ids, local or remote) whose content the searcher may read.
    public var communities: [String]
    /// Whether content addressed to the public in remote communities is readable too (for
    /// members, not for guests). Remote communities known as members-only are excluded whatever
    /// the addressing says.
    public var publicRemoteContent: Bool
    /// Every community hosted on this node: local content is readable only through `communities`.
    public var localCommunities: [String]
    /// For a guest invited for one topic: a thread URL, or a tag the thread must carry.
    public var topic: String?
    /// Hides content whose origin node is blocked or excluded by its community; nil shows all.
    public var origins: OriginFilter?

    public init(communities: [String], publicRemoteContent: Bool, localCommunities: [String], topic: String? = nil,
                origins: OriginFilter? = nil) {
        self.communities = communities
        self.publicRemoteContent = publicRemoteContent
        self.localCommunities = localCommunities
        self.topic = topic
        self.origins = origins
    }

    /// Reads nothing (inactive accounts, suppliers).
    public static let nothing = SearchScope(communities: [], publicRemoteContent: false, localCommunities: [])
}

/// Filters of a search; nil means any.
public struct SearchFilter: Sendable, Equatable {
    /// A community's actor id.
    public var community: String?
    /// The thread's kind (`question`, `discussion` …) or `document`.
    public var kind: String?
    /// A language tag; `es` also matches `es-ES`.
    public var language: String?
    /// Questions with (true) or without (false) an accepted answer.
    public var answered: Bool?

    public init(community: String? = nil, kind: String? = nil, language: String? = nil, answered: Bool? = nil) {
        self.community = community
        self.kind = kind
        self.language = language
        self.answered = answered
    }
}

/// One search result.
public struct SearchHit: Sendable, Equatable {
    public var id: String
    public var type: String
    /// The thread the object belongs to (its own id for a thread or document).
    public var threadID: String
    /// The thread's title (for a reply, the title of the thread it answers).
    public var title: String?
    /// Plain text around the first match, matches wrapped in ``SearchIndex/highlightStart`` and
    /// ``SearchIndex/highlightEnd``.
    public var snippet: String
    public var community: String
    public var author: String
    public var kind: String?
    public var language: String?
    public var published: Date?
    /// Whether the thread is a question with an accepted answer.
    public var answered: Bool
    /// Relevance, higher is better (the negated bm25 rank).
    public var score: Double
}

/// The full-text search index: refreshing stale rows and querying with authorisation applied.
public struct SearchIndex {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Marks the start of a match in snippets. Neither HTML nor JSON syntax, and removed from
    /// indexed text, so a client can escape the snippet for HTML and then replace the markers.
    public static let highlightStart = "\u{27E6}"
    /// Marks the end of a match in snippets.
    public static let highlightEnd = "\u{27E7}"

    static let publicAddresses: Set<String> = ["https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"]

    /// Whether some objects wait to be indexed.
    public func hasStale() throws -> Bool {
        try db.queryOne("SELECT 1 FROM search_documents WHERE stale = 1 LIMIT 1") != nil
    }

    /// Indexes up to `limit` stale objects; returns how many it handled (0 when none are left).
    ///
    /// - Parameter plainText: turns an object's sanitised HTML into the text a reader sees.
    public func refresh(limit: Int = 500, plainText: (String) -> String) throws -> Int {
        let rows = try db.query(
            """
            SELECT d.id AS doc, d.thread_id AS old_thread, d.kind AS old_kind, d.language AS old_language,
                o.id AS object_id, o.type, o.audience, o.name, o.content, o.tags, o.kind, o.language, o.deleted_at,
                o.document, o.origin_domain, o.published
            FROM search_documents d LEFT JOIN objects o ON o.id = d.object_id
            WHERE d.stale = 1 ORDER BY d.id LIMIT ?
            """, limit)
        for row in rows {
            let doc: Int64 = try row.get("doc")
            try db.run("DELETE FROM search_text WHERE rowid = ?", doc)
            try db.run("DELETE FROM search_cjk WHERE rowid = ?", doc)
            try db.run("DELETE FROM search_cjk_pairs WHERE rowid = ?", doc)
            guard let objectID: String = try row.optional("object_id") else {
                try db.run("DELETE FROM search_documents WHERE id = ?", doc)
                continue
            }
            let deleted: Int64? = try row.optional("deleted_at")
            let audience: String? = try row.optional("audience")
            guard deleted == nil, audience != nil else {
                try db.run("UPDATE search_documents SET stale = 0, has_cjk = 0 WHERE id = ?", doc)
                continue
            }
            let type: String = try row.get("type")
            let thread = try threadRoot(of: objectID)
            var kind: String? = try row.optional("kind")
            var language: String? = try row.optional("language")
            var answered = false
            if let root = try db.queryOne("SELECT kind, language, accepted_answer FROM objects WHERE id = ?", thread) {
                let rootKind: String? = try root.optional("kind")
                if thread != objectID {
                    kind = rootKind ?? kind
                    language = try language ?? root.optional("language")
                }
                answered = try rootKind == "question" && root.optional("accepted_answer", as: String.self) != nil
            }
            if type == "Document" { kind = "document" }
            let document = (try? JSON.parse(try row.get("document", as: [UInt8].self))) ?? .null
            var body = plainText(try row.get("content", as: String.self))
            if let summary = document["summary"]?.stringValue, !summary.isEmpty {
                body = plainText(summary) + "\n" + body
            }
            let title = Self.clean((try row.optional("name", as: String.self)) ?? "")
            body = Self.clean(body)
            let tagList = (try? JSONDecoder().decode([String].self, from: Data((try row.get("tags", as: String.self)).utf8))) ?? []
            let tags = Self.clean(tagList.joined(separator: " "))
            let isPublic = ["to", "cc"].contains { key in
                switch document[key] {
                case .string(let value)?: Self.publicAddresses.contains(value)
                case .array(let values)?: values.contains { $0.stringValue.map(Self.publicAddresses.contains) ?? false }
                default: false
                }
            }
            let hasCJK = (title + body + tags).unicodeScalars.contains(where: SearchQuery.isCJK)
            let facets = Self.facets(community: audience, language: language, kind: kind)
            try db.run(
                "INSERT INTO search_text (rowid, title, body, tags, facets) VALUES (?, ?, ?, ?, ?)",
                doc, title, body, tags, facets)
            if hasCJK {
                try db.run(
                    "INSERT INTO search_cjk (rowid, title, body, tags, facets) VALUES (?, ?, ?, ?, ?)",
                    doc, title, body, tags, facets)
                try db.run(
                    "INSERT INTO search_cjk_pairs (rowid, grams, facets) VALUES (?, ?, ?)", doc,
                    Self.cjkPairs(title + " " + body + " " + tags), facets)
            }
            try db.run(
                """
                UPDATE search_documents SET stale = 0, thread_id = ?, kind = ?, is_public = ?, has_cjk = ?, audience = ?,
                    origin_domain = ?, language = ?, published = ?, answered = ?
                WHERE id = ?
                """,
                thread, kind, isPublic, hasCJK, audience, try row.optional("origin_domain", as: String.self), language,
                try row.optional("published", as: Int64.self), answered, doc)
            let oldThread: String? = try row.optional("old_thread")
            let oldKind: String? = try row.optional("old_kind")
            let oldLanguage: String? = try row.optional("old_language")
            if oldThread != nil, thread == objectID, oldKind != kind || oldLanguage != language {
                // A thread whose kind or language changed: its replies carry both. (Edits and
                // redeliveries that change neither leave the replies as they are.)
                try db.run(
                    "UPDATE search_documents SET stale = 1 WHERE thread_id = ? AND id <> ? AND stale = 0", objectID, doc)
            }
            if oldThread != thread {
                // Replies below this object belong to its (new) thread too.
                try db.run(
                    "UPDATE search_documents SET stale = 1 WHERE object_id IN (SELECT id FROM objects WHERE in_reply_to = ?)",
                    objectID)
            }
        }
        return rows.count
    }

    /// The first post of the thread an object belongs to: its furthest known ancestor.
    func threadRoot(of id: String) throws -> String {
        try db.scalar(
            String.self,
            """
            WITH RECURSIVE chain(id, parent, depth) AS (
                SELECT id, in_reply_to, 0 FROM objects WHERE id = ?
                UNION ALL
                SELECT o.id, o.in_reply_to, c.depth + 1 FROM objects o JOIN chain c ON o.id = c.parent WHERE c.depth < 32
            )
            SELECT id FROM chain ORDER BY depth DESC LIMIT 1
            """, id) ?? id
    }

    /// Highlight markers in the text itself would be mistaken for matches.
    static func clean(_ text: String) -> String {
        text.replacingOccurrences(of: highlightStart, with: "[").replacingOccurrences(of: highlightEnd, with: "]")
    }

    /// How many of the newest readable matches a search ranks. A word found in half the posts of
    /// a large node would otherwise be ranked across hundreds of thousands of rows per query; people
    /// who want older posts narrow the search. At least `SearchService.maxOffset` + a page.
    public static let candidateLimit = 2_000

    /// Runs a search: among the newest ``candidateLimit`` matches inside `scope`, the best first
    /// (BM25 by `praxis_rank`, titles weighted above tags above text), then the newest.
    ///
    /// - Throws: `SearchError` when FTS5 refuses the query; `SQLiteError` for storage failures.
    ///
    /// - Parameter candidates: how many of the newest matches are ranked (tests lower it).
    public func search(_ query: SearchQuery, filter: SearchFilter = SearchFilter(), scope: SearchScope, limit: Int,
                       offset: Int = 0, candidates: Int = SearchIndex.candidateLimit) throws -> [SearchHit] {
        // Every statement below hands FTS5 the query (counts for ranking, the walk, snippets).
        do {
            return try searchUnchecked(
                query, filter: filter, scope: scope, limit: limit, offset: offset, candidates: candidates)
        } catch let error as SQLiteError where error.resultCode == .error && error.message.contains("fts5") {
            throw SearchError("the search could not be understood (\(error.message)); use words, prefix* and \"phrases\"")
        }
    }

    private func searchUnchecked(_ query: SearchQuery, filter: SearchFilter, scope: SearchScope, limit: Int,
                                 offset: Int, candidates: Int) throws -> [SearchHit] {
        guard !scope.communities.isEmpty || scope.publicRemoteContent else { return [] }
        var joins: [String] = []
        var conditions: [String] = []
        var arguments: [any SQLBindable] = []
        var rank: [String] = []
        // The filters as facet tokens (see `Schema.searchFacets`); the SQL conditions below still
        // decide, the tokens only let FTS5 skip what cannot pass.
        var facetTokens: [String] = []
        if let community = filter.community { facetTokens.append(Self.communityFacet(community)) }
        if let language = filter.language?.lowercased() { facetTokens.append(Self.languageFacet(language)) }
        if let kind = filter.kind { facetTokens.append(Self.kindFacet(kind)) }
        let facets = facetTokens.isEmpty ? nil : facetTokens.map(SearchQuery.quoted).joined(separator: " ")
        // Which index drives the walk, newest first: words, else trigrams, else CJK pairs.
        let driver: (table: String, expression: String)?
        let trigram = query.trigramExpression
        let short = query.shortCJKTerms
        let pairs = short.compactMap(Self.pairsExpression)
        if let words = query.wordExpression {
            let expression = "{title body tags} : (\(words))" + (facets.map { " AND facets : (\($0))" } ?? "")
            driver = ("search_text", expression)
            rank.append(try rankExpression(table: "search_text", phrases: query.wordPhrases))
        } else if let trigram {
            driver = ("search_cjk", "{title body tags} : (\(trigram))" + (facets.map { " AND facets : (\($0))" } ?? ""))
        } else if !pairs.isEmpty {
            // detail=none has no column filters; facet tokens never occur among the pairs.
            driver = ("search_cjk_pairs", "(\(pairs.joined(separator: " ")))" + (facets.map { " AND (\($0))" } ?? ""))
        } else {
            driver = nil
        }
        if let driver {
            joins.append("JOIN \(driver.table) ON \(driver.table).rowid = d.id")
            conditions.append("\(driver.table) MATCH ?")
            arguments.append(driver.expression)
        }
        if trigram != nil || !short.isEmpty, driver?.table != "search_cjk" {
            joins.append("JOIN search_cjk ON search_cjk.rowid = d.id")
        }
        if let trigram {
            if driver?.table != "search_cjk" {
                conditions.append("search_cjk MATCH ?")
                arguments.append(trigram)
            }
            rank.append(try rankExpression(table: "search_cjk", phrases: query.trigramPhrases))
        }
        for term in short {
            conditions.append("instr(search_cjk.title || ' ' || search_cjk.body || ' ' || search_cjk.tags, ?) > 0")
            arguments.append(term)
        }
        // What the searcher may read, before any LIMIT. Deleted objects have left the index (their
        // rows are removed by trigger), so the walk reads only `search_documents`.
        // The unary plus keeps SQLite from turning the list into one index probe per community
        // for every match (a hundred readable communities made each match cost a hundred probes).
        var readable = "+d.audience IN (SELECT value FROM json_each(?))"
        arguments.append(Self.jsonArray(scope.communities))
        if scope.publicRemoteContent {
            readable += """
                 OR (d.is_public = 1 AND +d.audience NOT IN (SELECT value FROM json_each(?))
                    AND NOT EXISTS (SELECT 1 FROM remote_actors ra WHERE ra.id = d.audience
                        AND CASE WHEN json_valid(ra.document) THEN json_extract(ra.document, '$.visibility') END = 'members'))
                """
            arguments.append(Self.jsonArray(scope.localCommunities))
        }
        conditions.append("(\(readable))")
        if let origins = scope.origins {
            // Content from nodes the trust list blocks, or that the community excludes, is hidden
            // at read time, so a block takes effect at once and is reversible.
            let (condition, originArguments) = origins.condition(alias: "d")
            conditions.append(condition)
            arguments += originArguments
        }
        if let topic = scope.topic {
            // Guests only: the thread's tags are read for each match.
            joins.append("LEFT JOIN objects t INDEXED BY objects_search ON t.id = d.thread_id")
            conditions.append(
                "(d.thread_id = ? OR EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(t.tags) THEN t.tags ELSE '[]' END) WHERE value = ?))")
            arguments.append(topic)
            arguments.append(topic)
        }
        if let community = filter.community {
            conditions.append("d.audience = ?")
            arguments.append(community)
        }
        if let kind = filter.kind {
            conditions.append("d.kind = ?")
            arguments.append(kind)
        }
        if let language = filter.language?.lowercased() {
            conditions.append("(lower(d.language) = ? OR lower(d.language) LIKE ?)")
            arguments.append(language)
            arguments.append(language.replacingOccurrences(of: "%", with: "").replacingOccurrences(of: "_", with: "") + "-%")
        }
        if let answered = filter.answered {
            conditions.append("d.kind = 'question' AND d.answered = \(answered ? 1 : 0)")
        }
        let rankExpression = rank.isEmpty ? "0.0" : rank.joined(separator: " + ")
        // Two steps, so the cost does not grow with the number of matches: first the newest
        // `candidateLimit` readable matches in index order (FTS5 walks its rowids downwards and
        // stops there), checked on their `search_documents` rows, ranked; then only the page is
        // joined to the objects. The CROSS JOINs fix that order: left to the planner, SQLite 3.40
        // walked every match of the query in the second step (all of a common word's hundreds of
        // thousands of rows) to find twenty.
        let newestFirst = (driver?.table ?? "search_cjk") + ".rowid"
        let sql = """
            WITH candidates AS (
                SELECT d.id AS doc, \(rankExpression) AS rank, coalesce(d.published, 0) AS published_key
                FROM search_documents d
                \(joins.joined(separator: "\n"))
                WHERE d.stale = 0 AND \(conditions.joined(separator: " AND "))
                ORDER BY \(newestFirst) DESC
                LIMIT ?
            )
            SELECT c.doc, d.object_id, d.thread_id, d.kind AS search_kind, o.type, o.audience, o.attributed_to,
                o.published, coalesce(t.name, o.name) AS title, d.language AS language,
                d.kind = 'question' AND d.answered AS answered, c.rank AS rank
            FROM (SELECT doc, rank, published_key FROM candidates ORDER BY rank, published_key DESC, doc DESC LIMIT ? OFFSET ?) c
            CROSS JOIN search_documents d ON d.id = c.doc
            CROSS JOIN objects o ON o.id = d.object_id
            LEFT JOIN objects t ON t.id = d.thread_id
            WHERE o.deleted_at IS NULL
            ORDER BY c.rank, c.published_key DESC, c.doc DESC
            """
        arguments.append(max(candidates, 1))
        arguments.append(limit)
        arguments.append(offset)
        let rows = try db.query(sql, arguments: arguments)
        let docs = try rows.map { try $0.get("doc", as: Int64.self) }
        let snippets = try snippets(of: docs, driver: driver, short: short)
        return try rows.map { row in
            let published: Int64? = try row.optional("published")
            let rank: Double = try row.get("rank")
            return SearchHit(
                id: try row.get("object_id"), type: try row.get("type"), threadID: try row.get("thread_id"),
                title: try row.optional("title"), snippet: snippets[try row.get("doc")] ?? "",
                community: try row.get("audience"), author: try row.get("attributed_to"),
                kind: try row.optional("search_kind"), language: try row.optional("language"),
                published: published.map(Date.init(unixSeconds:)), answered: try row.get("answered"),
                score: rank == 0 ? 0 : -rank)
        }
    }

    /// `praxis_rank` over `table` (titles weighted above tags above text, facets not at all) with
    /// the document frequencies of `phrases`, the query's first phrases in that table.
    func rankExpression(table: String, phrases: [String]) throws -> String {
        let frequencies = try phrases.map { phrase in
            let key = db.path + "\u{0}" + table + "\u{0}" + phrase
            if let count = Self.frequencies.value(for: key) { return count }
            let count = try db.scalar(Int64.self, "SELECT count(*) FROM \(table) WHERE \(table) MATCH ?", phrase) ?? 0
            Self.frequencies.store(count, for: key)
            return count
        }
        return "praxis_rank(\(table), 10.0, 1.0, 3.0, 0.0" + frequencies.map { ", \($0)" }.joined() + ")"
    }

    /// How many rows hold each search phrase, per database and index table, kept ten minutes:
    /// counting walks every row holding the phrase (6 ms for "the" at a million posts), and an
    /// old count only shifts a word's weight a little.
    static let frequencies = FrequencyCache(lifetime: .seconds(600), capacity: 50_000)

    /// Snippets of a page of results, by document rowid: from the index that found them, in one
    /// walk over the page's range of rowids (asking FTS5 once per row set up the query again for
    /// every row, which for a prefix means merging the lists of all its words twenty times); for
    /// short CJK terms, around the first one in the text.
    func snippets(of docs: [Int64], driver: (table: String, expression: String)?, short: [String]) throws
        -> [Int64: String]
    {
        guard let low = docs.min(), let high = docs.max() else { return [:] }
        let list = "[" + docs.map(String.init).joined(separator: ",") + "]"
        var snippets: [Int64: String] = [:]
        if let driver, driver.table == "search_text" || driver.table == "search_cjk" {
            let width = driver.table == "search_text" ? 24 : 40
            let rows = try db.query(
                """
                SELECT rowid AS doc, snippet(\(driver.table), 1, '\(Self.highlightStart)', '\(Self.highlightEnd)', '…', \(width))
                    AS snippet
                FROM \(driver.table)
                WHERE \(driver.table) MATCH ? AND rowid BETWEEN ? AND ? AND +rowid IN (SELECT value FROM json_each(?))
                """, driver.expression, low, high, list)
            for row in rows {
                let doc: Int64 = try row.get("doc")
                let snippet: String = try row.get("snippet")
                snippets[doc] = snippet
            }
        } else {
            let rows = try db.query(
                "SELECT rowid AS doc, body FROM search_cjk WHERE rowid IN (SELECT value FROM json_each(?))", list)
            for row in rows {
                let doc: Int64 = try row.get("doc")
                snippets[doc] = Self.snippet(of: try row.get("body"), around: short.first ?? "")
            }
        }
        return snippets
    }

    /// About 40 characters either side of the first occurrence of `term`, which is highlighted.
    static func snippet(of text: String, around term: String) -> String {
        guard !term.isEmpty, let range = text.range(of: term) else { return String(text.prefix(80)) }
        let start = text.index(range.lowerBound, offsetBy: -40, limitedBy: text.startIndex) ?? text.startIndex
        let end = text.index(range.upperBound, offsetBy: 40, limitedBy: text.endIndex) ?? text.endIndex
        return (start == text.startIndex ? "" : "…") + text[start..<range.lowerBound] + highlightStart
            + text[range] + highlightEnd + text[range.upperBound..<end] + (end == text.endIndex ? "" : "…")
    }

    static func jsonArray(_ values: [String]) -> String {
        JSON.array(values.map(JSON.string)).serialized()
    }
}

/// Counts kept for a while, shared by every connection of the process (see
/// ``SearchIndex/frequencies``); emptied whole when full.
final class FrequencyCache: @unchecked Sendable {
    private let lock = NSLock()
    private var entries: [String: (count: Int64, until: ContinuousClock.Instant)] = [:]
    private let lifetime: Duration
    private let capacity: Int

    init(lifetime: Duration, capacity: Int) {
        self.lifetime = lifetime
        self.capacity = capacity
    }

    func value(for key: String) -> Int64? {
        lock.withLock {
            guard let entry = entries[key], entry.until > .now else { return nil }
            return entry.count
        }
    }

    func store(_ count: Int64, for key: String) {
        lock.withLock {
            if entries.count >= capacity { entries.removeAll(keepingCapacity: true) }
            entries[key] = (count, .now + lifetime)
        }
    }
}
