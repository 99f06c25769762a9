import Foundation
import PraxisCrypto
import PraxisSQLite

extension Schema {
    /// Version 23: filters inside the search index, four-letter prefixes, and pairs of CJK characters.
    ///
    /// - `search_text` gains a `facets` column: tokens for the object's community, language and
    ///   kind (``SearchIndex/facets(community:language:kind:)``). A filtered search intersects them
    ///   with its words inside FTS5, which skips through both lists, instead of walking every match
    ///   of the words until enough pass the filter (at a million posts, a common English word
    ///   searched in a French community walked some 300,000 matches).
    /// - Prefix indexes of 2, 3 and 4 characters (were 2 and 3): `tend*` reads one list instead of
    ///   merging the lists of every word starting so, once per query and once per result row.
    /// - `search_cjk_pairs` holds every run of CJK letters as its overlapping pairs plus the run's
    ///   last letter (``SearchIndex/cjkPairs(_:)``), so a term of one or two characters, too short
    ///   for the trigram index, is found through an index instead of by reading every CJK row.
    ///
    /// The indexed text is plain already, so it is copied from the old table, not rebuilt from
    /// HTML (about a minute at a million posts).
    static let searchFacets = Migration(version: 23, name: "search facets, four-letter prefixes, CJK pairs") { db in
        try db.execute(
            """
            CREATE VIRTUAL TABLE search_text_next USING fts5(
                title, body, tags, facets, tokenize = 'unicode61 remove_diacritics 2', prefix = '2 3 4');
            CREATE VIRTUAL TABLE search_cjk_pairs USING fts5(
                grams, tokenize = 'unicode61 remove_diacritics 0', prefix = '1', detail = 'none');
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
        last = -1
        while true {
            let rows = try db.query(
                "SELECT rowid AS doc, title, body, tags FROM search_cjk WHERE rowid > ? ORDER BY rowid LIMIT 2000", last)
            guard let lastRow = rows.last else { break }
            for row in rows {
                let text = [try row.get("title", as: String.self), try row.get("body", as: String.self),
                            try row.get("tags", as: String.self)].joined(separator: " ")
                try db.run("INSERT INTO search_cjk_pairs (rowid, grams) VALUES (?, ?)",
                           try row.get("doc", as: Int64.self), SearchIndex.cjkPairs(text))
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
            CREATE TRIGGER objects_search_update
            AFTER UPDATE OF name, content, tags, language, kind, audience, in_reply_to, deleted_at, document, type ON objects
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
            """)
    }
}

extension SearchIndex {
    /// The `facets` tokens of an indexed object: its community, each leading part of its language
    /// tag (`es` and `es-es` for `es-ES`, so a filter on `es` finds both), and its kind.
    ///
    /// Tokens are letters and digits only (the tokenizer keeps them whole) and start with a prefix
    /// no word of the other columns can be confused with, since searches name the column. The
    /// community token is a 64-bit hash of its actor id; the SQL conditions stay beside the facets,
    /// so a collision could only cost time, never show another community's content.
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
    public static func communityFacet(_ community: String) -> String {
        "zc" + BlobStore.hex(Array(SHA256.hash(Array(community.utf8)).prefix(8)))
    }

    /// The facet token of a language tag or a filter on one (compared in lower case).
    public static func languageFacet(_ tag: String) -> String { "zl" + BlobStore.hex(Array(tag.lowercased().utf8)) }

    /// The facet token of a thread kind or `document`.
    public static func kindFacet(_ kind: String) -> String { "zk" + BlobStore.hex(Array(kind.utf8)) }

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
