import Foundation
import PraxisCrypto
import PraxisSQLite

extension Schema {
    /// Version 23: filters inside the search index, four-letter prefixes, and pairs of CJK characters.
    ///
    /// - Every index table gains a `facets` column: tokens for the object's community, language
    ///   and kind (``SearchIndex/facets(community:language:kind:)``). A filtered search intersects
    ///   them with its terms inside FTS5, which skips through both lists, instead of walking every
    ///   match of the terms until enough pass the filter (at a million posts, a common English word
    ///   searched in a French community walked some 300,000 matches, and a Chinese word narrowed
    ///   to questions read the ids of all 450,000 questions).
    /// - Prefix indexes of 2, 3 and 4 characters (were 2 and 3): `tend*` reads one list instead of
    ///   merging the lists of every word starting so, once per query and once per result row.
    /// - `search_cjk_pairs` holds every run of CJK letters as its overlapping pairs plus the run's
    ///   last letter (``SearchIndex/cjkPairs(_:)``), so a term of one or two characters, too short
    ///   for the trigram index, is found through an index instead of by reading every CJK row.
    ///
    /// - `search_documents` keeps what a search checks on every match (community, origin node,
    ///   language, date, and whether the thread is an answered question), so walking thousands of
    ///   matches reads one small row each, in the index's own order, instead of two rows of the
    ///   `objects_search` index found by their URLs. A trigger keeps `answered` in step with the
    ///   thread's accepted answer; re-indexing a thread re-indexes its replies (found through the
    ///   new `search_documents_thread` index), which carry its kind and language.
    ///
    /// The indexed text is plain already, so it is copied from the old table, not rebuilt from
    /// HTML (about two minutes at a million posts).
    static let searchFacets = Migration(version: 23, name: "search facets, four-letter prefixes, CJK pairs") { db in
        try db.execute(
            """
            ALTER TABLE search_documents ADD COLUMN audience TEXT;
            ALTER TABLE search_documents ADD COLUMN origin_domain TEXT;
            ALTER TABLE search_documents ADD COLUMN language TEXT;
            ALTER TABLE search_documents ADD COLUMN published INTEGER;
            ALTER TABLE search_documents ADD COLUMN answered INTEGER NOT NULL DEFAULT 0;
            UPDATE search_documents SET (audience, origin_domain, language, published) = (
                SELECT o.audience, o.origin_domain, coalesce(o.language, t.language), o.published
                FROM objects o LEFT JOIN objects t ON t.id = search_documents.thread_id
                WHERE o.id = search_documents.object_id);
            UPDATE search_documents SET answered = coalesce(
                (SELECT t.kind = 'question' AND t.accepted_answer IS NOT NULL FROM objects t WHERE t.id = thread_id), 0);
            CREATE INDEX search_documents_thread ON search_documents (thread_id);
            CREATE TRIGGER objects_search_answered AFTER UPDATE OF accepted_answer ON objects BEGIN
                UPDATE search_documents SET answered = (NEW.kind = 'question' AND NEW.accepted_answer IS NOT NULL)
                    WHERE thread_id = NEW.id;
            END;
            CREATE VIRTUAL TABLE search_text_next USING fts5(
                title, body, tags, facets, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
            CREATE VIRTUAL TABLE search_cjk_next USING fts5(title, body, tags, facets, tokenize = 'trigram');
            CREATE VIRTUAL TABLE search_cjk_pairs USING fts5(
                grams, facets, tokenize = 'unicode61 remove_diacritics 0', prefix = '1', detail = 'none');
            """)
        var last: Int64 = -1
        while true {
            let rows = try db.query(
                """
                SELECT s.rowid AS doc, s.title, s.body, s.tags, d.kind, o.audience,
                    coalesce(o.language, t.language) AS language
                FROM search_text s
                LEFT JOIN search_documents d ON d.id = s.rowid
                LEFT JOIN objects o ON o.id = d.object_id
                LEFT JOIN objects t ON t.id = d.thread_id
                WHERE s.rowid > ? ORDER BY s.rowid LIMIT 2000
                """, last)
            guard let lastRow = rows.last else { break }
            for row in rows {
                let facets = SearchIndex.facets(
                    community: try row.optional("audience"), language: try row.optional("language"),
                    kind: try row.optional("kind"))
                try db.run(
                    "INSERT INTO search_text_next (rowid, title, body, tags, facets) VALUES (?, ?, ?, ?, ?)",
                    try row.get("doc", as: Int64.self), try row.get("title", as: String.self),
                    try row.get("body", as: String.self), try row.get("tags", as: String.self), facets)
            }
            last = try lastRow.get("doc")
        }
        try db.execute(
            """
            INSERT INTO search_cjk_next (rowid, title, body, tags, facets)
                SELECT c.rowid, c.title, c.body, c.tags, coalesce(s.facets, '')
                FROM search_cjk c LEFT JOIN search_text_next s ON s.rowid = c.rowid;
            """)
        last = -1
        while true {
            let rows = try db.query(
                "SELECT rowid AS doc, title, body, tags, facets FROM search_cjk_next WHERE rowid > ? ORDER BY rowid LIMIT 2000",
                last)
            guard let lastRow = rows.last else { break }
            for row in rows {
                let text = [try row.get("title", as: String.self), try row.get("body", as: String.self),
                            try row.get("tags", as: String.self)].joined(separator: " ")
                try db.run("INSERT INTO search_cjk_pairs (rowid, grams, facets) VALUES (?, ?, ?)",
                           try row.get("doc", as: Int64.self), SearchIndex.cjkPairs(text),
                           try row.get("facets", as: String.self))
            }
            last = try lastRow.get("doc")
        }
        // The triggers name the index tables; SQLite checks every trigger when a table is
        // renamed, so they go first and come back naming the pairs table too.
        try db.execute(
            """
            DROP TRIGGER objects_search_update;
            DROP TRIGGER objects_search_delete;
            DROP TABLE search_text;
            ALTER TABLE search_text_next RENAME TO search_text;
            DROP TABLE search_cjk;
            ALTER TABLE search_cjk_next RENAME TO search_cjk;
            CREATE TRIGGER objects_search_update
            AFTER UPDATE OF name, content, tags, language, kind, audience, in_reply_to, deleted_at, document, type,
                published, origin_domain ON objects
            BEGIN
                DELETE FROM search_text WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                DELETE FROM search_cjk WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                DELETE FROM search_cjk_pairs WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                INSERT INTO search_documents (object_id)
                    SELECT NEW.id WHERE NOT EXISTS (SELECT 1 FROM search_documents WHERE object_id = NEW.id);
                UPDATE search_documents SET stale = 1 WHERE object_id = NEW.id;
            END;
            CREATE TRIGGER objects_search_delete AFTER DELETE ON objects BEGIN
                DELETE FROM search_text WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                DELETE FROM search_cjk WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                DELETE FROM search_cjk_pairs WHERE rowid = (SELECT id FROM search_documents WHERE object_id = OLD.id);
                DELETE FROM search_documents WHERE object_id = OLD.id;
            END;
            -- Tables filled in bulk are left in many segments, each of which a search looks into for
            -- every term; one merge now (about ten seconds at a million posts) leaves one. FTS5's
            -- automatic merging keeps the count small as the node writes on.
            INSERT INTO search_text (search_text) VALUES ('optimize');
            INSERT INTO search_cjk (search_cjk) VALUES ('optimize');
            INSERT INTO search_cjk_pairs (search_cjk_pairs) VALUES ('optimize');
            """)
    }
}

extension SearchIndex {
    /// The `facets` tokens of an indexed object: its community, each leading part of its language
    /// tag (`es` and `es-es` for `es-ES`, so a filter on `es` finds both), and its kind.
    ///
    /// Each token is three characters of Unicode's private use area taken from a hash of what it
    /// stands for: one token to the unicode61 tokenizer, exactly one trigram to the trigram
    /// tokenizer (a search for a facet is then one list in every index table), and never part of a
    /// word, a CJK pair or a trigram of CJK text. The SQL conditions stay beside the facets, so a
    /// collision could only cost time, never show what a filter leaves out.
    public static func facets(community: String?, language: String?, kind: String?) -> String {
        var tokens: [String] = []
        if let community { tokens.append(communityFacet(community)) }
        if let language = language?.lowercased(), !language.isEmpty {
            let parts = language.split(separator: "-", omittingEmptySubsequences: false)
            for end in 1...parts.count { tokens.append(languageFacet(parts[..<end].joined(separator: "-"))) }
        }
        if let kind, !kind.isEmpty { tokens.append(kindFacet(kind)) }
        return tokens.joined(separator: " ")
    }

    /// The facet token of a community (its actor id).
    public static func communityFacet(_ community: String) -> String { facetToken("community " + community) }

    /// The facet token of a language tag or a filter on one (compared in lower case).
    public static func languageFacet(_ tag: String) -> String { facetToken("language " + tag.lowercased()) }

    /// The facet token of a thread kind or `document`.
    public static func kindFacet(_ kind: String) -> String { facetToken("kind " + kind) }

    /// Three private-use characters (U+E000 to U+F8FF) from the SHA-256 of `key`.
    static func facetToken(_ key: String) -> String {
        let hash = SHA256.hash(Array(key.utf8))
        var token = ""
        for index in 0..<3 {
            let value = (UInt32(hash[2 * index]) << 8 | UInt32(hash[2 * index + 1])) % 6_400
            token.unicodeScalars.append(Unicode.Scalar(0xE000 + value) ?? "\u{E000}")
        }
        return token
    }

    /// CJK text as the `search_cjk_pairs` table indexes it: each run of CJK letters as its
    /// overlapping two-letter pairs and then its last letter, separated by spaces.
    ///
    /// A two-letter term is then one token (the letters are adjacent exactly when the pair was
    /// indexed) and a one-letter term a one-letter prefix (every occurrence starts a pair or ends
    /// a run). Other text is left out; the search still checks each term against the row's text.
    public static func cjkPairs(_ text: String) -> String {
        var out = ""
        var run: [Unicode.Scalar] = []
        func flush() {
            guard let last = run.last else { return }
            for index in run.indices.dropLast() {
                out.unicodeScalars.append(run[index])
                out.unicodeScalars.append(run[index + 1])
                out.unicodeScalars.append(" ")
            }
            out.unicodeScalars.append(last)
            out.unicodeScalars.append(" ")
            run.removeAll(keepingCapacity: true)
        }
        for scalar in text.unicodeScalars {
            if isPairable(scalar) { run.append(scalar) } else { flush() }
        }
        flush()
        return out
    }

    /// A CJK letter: what ``cjkPairs(_:)`` pairs (marks and punctuation of those blocks are not).
    static func isPairable(_ scalar: Unicode.Scalar) -> Bool {
        SearchQuery.isCJK(scalar) && scalar.properties.isAlphabetic
    }

    /// The `search_cjk_pairs` expression for a short CJK term, or nil when the term has other
    /// characters (it is then checked against the text only).
    static func pairsExpression(_ term: String) -> String? {
        let scalars = Array(term.unicodeScalars)
        guard (1...2).contains(scalars.count), scalars.allSatisfy(isPairable) else { return nil }
        return SearchQuery.quoted(term) + (scalars.count == 1 ? "*" : "")
    }
}
