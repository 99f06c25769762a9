import Foundation
import PraxisSQLite

/// How a thread list is ordered.
public enum ThreadSort: String, Sendable, CaseIterable {
    /// Last activity (a reply, an edit or a "helpful" mark anywhere in the thread), most recent first.
    case latest
    /// When the thread was started, most recent first.
    case newest
    /// Questions nobody has accepted an answer to yet, most recent first (with or without replies;
    /// each thread's reply count tells the two apart).
    case unanswered
}

/// Where a thread list page ends: the sort key and id of its last thread. Pages are strictly
/// ordered by (key, id), so a cursor never skips or repeats a thread when others are added.
public struct ThreadCursor: Sendable, Equatable {
    public var sort: ThreadSort
    public var key: Int64
    public var id: String
    public init(sort: ThreadSort, key: Int64, id: String) {
        self.sort = sort
        self.key = key
        self.id = id
    }
}

/// Narrows a thread list; nil means any.
public struct ThreadFilter: Sendable, Equatable {
    public var kind: String?
    /// A tag the thread carries (exact match).
    public var tag: String?
    /// A language tag; `es` also matches `es-ES`.
    public var language: String?
    public init(kind: String? = nil, tag: String? = nil, language: String? = nil) {
        self.kind = kind
        self.tag = tag
        self.language = language
    }
}

/// A post with the counters the thread triggers maintain.
public struct ThreadEntry: Sendable, Equatable {
    public var object: StoredObject
    /// For a thread's root: its live replies, nested ones included; 0 on replies.
    public var replyCount: Int
    public var helpfulCount: Int
    /// For a root: the last activity in the whole thread; for a reply: its own.
    public var lastActivity: Date
    /// The Markdown source the stored document carries (`source.content`), read by SQLite so that
    /// lists and pages do not parse each post's whole document in Swift; nil when there is none.
    public var source: String?
    /// The sort key of `sort` for this entry, as a cursor carries it.
    public func cursor(_ sort: ThreadSort) -> ThreadCursor {
        let key = sort == .latest
            ? Int64(lastActivity.timeIntervalSince1970) : (object.published.map { Int64($0.timeIntervalSince1970) } ?? 0)
        return ThreadCursor(sort: sort, key: key, id: object.id)
    }
}

/// Thread lists and thread pages, each one index range scan (see `Schema.threadActivity`).
public struct ThreadRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// Up to `limit` live threads (top-level posts) of a community, in `sort` order, strictly after `cursor`.
    /// - Parameter visible: when given, threads whose origin node it hides (blocked now, or excluded
    ///   by the community) are left out in the query itself, so pages stay full and cursors exact.
    public func page(audience: String, sort: ThreadSort, filter: ThreadFilter = ThreadFilter(), limit: Int,
                     after cursor: ThreadCursor?, visible: OriginFilter? = nil) throws -> [ThreadEntry] {
        let (sql, arguments) = Self.listQuery(
            audience: audience, sort: sort, filter: filter, limit: limit, after: cursor, visible: visible)
        return try db.query(sql, arguments: arguments).map(Self.entry)
    }

    /// The query plan SQLite picks for ``page(audience:sort:filter:limit:after:)``, one line per step
    /// (`SEARCH objects USING INDEX …`): tests and operators check that lists stay index scans.
    public func listPlan(audience: String, sort: ThreadSort, filter: ThreadFilter = ThreadFilter(), limit: Int,
                         after cursor: ThreadCursor?, visible: OriginFilter? = nil) throws -> [String] {
        let (sql, arguments) = Self.listQuery(
            audience: audience, sort: sort, filter: filter, limit: limit, after: cursor, visible: visible)
        return try plan(sql, arguments)
    }

    static func listQuery(audience: String, sort: ThreadSort, filter: ThreadFilter, limit: Int, after cursor: ThreadCursor?,
                          visible: OriginFilter?) -> (String, [any SQLBindable])
    {
        // The conditions repeat the partial indexes' WHERE clauses word for word, which is how
        // SQLite knows it may use them.
        var conditions = ["audience = ?", "in_reply_to IS NULL", "deleted_at IS NULL", "type <> 'Document'"]
        var arguments: [any SQLBindable] = [audience]
        let key: String
        switch sort {
        case .latest:
            key = "last_activity"
        case .newest:
            key = "coalesce(published, 0)"
        case .unanswered:
            key = "coalesce(published, 0)"
            conditions += ["kind = 'question'", "accepted_answer IS NULL"]
        }
        if let cursor {
            // Spelt as a bound on the key plus a tie-break rather than a row value, which SQLite
            // does not use as an index range on an expression.
            conditions.append("\(key) <= ?")
            conditions.append("(\(key) < ? OR id < ?)")
            arguments += [cursor.key, cursor.key, cursor.id]
        }
        if let kind = filter.kind {
            conditions.append("kind = ?")
            arguments.append(kind)
        }
        if let language = filter.language?.lowercased() {
            conditions.append("(lower(language) = ? OR substr(lower(language), 1, ?) = ?)")
            arguments += [language, Int64(language.utf8.count + 1), language + "-"]
        }
        if let tag = filter.tag {
            conditions.append(
                "EXISTS (SELECT 1 FROM json_each(CASE WHEN json_valid(tags) THEN tags ELSE '[]' END) WHERE value = ?)")
            arguments.append(tag)
        }
        if let visible {
            let (condition, more) = visible.condition(alias: "objects")
            conditions.append(condition)
            arguments += more
        }
        arguments.append(Int64(limit))
        let sql = "SELECT *, \(Self.sourceColumn) FROM objects WHERE \(conditions.joined(separator: " AND ")) "
            + "ORDER BY \(key) DESC, id DESC LIMIT ?"
        return (sql, arguments)
    }

    /// Live replies in a thread (nested ones too), oldest first, strictly after `cursor`.
    /// - Parameter visible: when given, replies whose origin node it hides are left out.
    public func replies(root: String, limit: Int, after cursor: PostCursor?, visible: OriginFilter? = nil) throws
        -> [ThreadEntry]
    {
        let (sql, arguments) = Self.repliesQuery(root: root, limit: limit, after: cursor, visible: visible)
        return try db.query(sql, arguments: arguments).map(Self.entry)
    }

    public func repliesPlan(root: String, limit: Int, after cursor: PostCursor?, visible: OriginFilter? = nil) throws
        -> [String]
    {
        let (sql, arguments) = Self.repliesQuery(root: root, limit: limit, after: cursor, visible: visible)
        return try plan(sql, arguments)
    }

    static func repliesQuery(root: String, limit: Int, after cursor: PostCursor?, visible: OriginFilter?)
        -> (String, [any SQLBindable])
    {
        var sql = "SELECT *, \(Self.sourceColumn) FROM objects WHERE thread_root = ? AND deleted_at IS NULL"
        var arguments: [any SQLBindable] = [root]
        if let cursor {
            sql += " AND coalesce(published, 0) >= ? AND (coalesce(published, 0) > ? OR id > ?)"
            arguments += [cursor.published, cursor.published, cursor.id]
        }
        if let visible {
            let (condition, more) = visible.condition(alias: "objects")
            sql += " AND " + condition
            arguments += more
        }
        sql += " ORDER BY coalesce(published, 0), id LIMIT ?"
        arguments.append(Int64(limit))
        return (sql, arguments)
    }

    /// One object with its counters, deleted or not.
    public func entry(id: String) throws -> ThreadEntry? {
        try db.queryOne("SELECT *, \(Self.sourceColumn) FROM objects WHERE id = ?", id).map(Self.entry)
    }

    /// How many earlier versions of the object are kept.
    public func revisionCount(of id: String) throws -> Int {
        try db.scalar(Int.self, "SELECT count(*) FROM object_revisions WHERE object_id = ?", id) ?? 0
    }

    /// How many earlier versions each of `ids` has, in one query (a thread page asks for up to a
    /// hundred posts at once); objects never edited are absent.
    public func revisionCounts(of ids: [String]) throws -> [String: Int] {
        guard !ids.isEmpty else { return [:] }
        var counts: [String: Int] = [:]
        for row in try db.query(
            """
            SELECT object_id, count(*) AS n FROM object_revisions
            WHERE object_id IN (SELECT value FROM json_each(?)) GROUP BY object_id
            """, Self.jsonArray(ids))
        {
            let id: String = try row.get("object_id")
            counts[id] = try row.get("n", as: Int.self)
        }
        return counts
    }

    /// Which of `ids` the actor marked helpful, in one query.
    public func marked(by actor: String, among ids: [String]) throws -> Set<String> {
        guard !ids.isEmpty else { return [] }
        let rows = try db.query(
            "SELECT object_id FROM likes WHERE actor = ? AND object_id IN (SELECT value FROM json_each(?))",
            actor, Self.jsonArray(ids))
        return Set(try rows.map { try $0.get("object_id", as: String.self) })
    }

    /// A JSON array of strings, for `json_each` (a list of any length as one bound value).
    static func jsonArray(_ values: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(values)) ?? Data("[]".utf8), as: UTF8.self)
    }

    /// Everything an actor wrote (threads, replies, documents), oldest first, at most `limit`.
    public func authored(by actor: String, limit: Int) throws -> [StoredObject] {
        try db.query(
            "SELECT * FROM objects WHERE attributed_to = ? ORDER BY coalesce(published, 0), id LIMIT ?", actor, Int64(limit)
        ).map(ObjectRepository.object)
    }

    func plan(_ sql: String, _ arguments: [any SQLBindable]) throws -> [String] {
        try db.query("EXPLAIN QUERY PLAN " + sql, arguments: arguments).map { try $0.get("detail") }
    }

    /// `source_markdown`: the document's `source.content` when it is a string (SQLite's JSON
    /// functions take text, so the stored bytes are read as such; an invalid document has none).
    static let sourceColumn = """
        CASE WHEN json_valid(CAST(document AS TEXT))
            AND json_type(CAST(document AS TEXT), '$.source.content') = 'text'
        THEN json_extract(CAST(document AS TEXT), '$.source.content') END AS source_markdown
        """

    static func entry(_ row: Row) throws -> ThreadEntry {
        let object = try ObjectRepository.object(row)
        let last: Int64? = try row.optional("last_activity")
        return ThreadEntry(
            object: object, replyCount: try row.get("reply_count"), helpfulCount: try row.get("helpful_count"),
            lastActivity: Date(unixSeconds: last ?? object.published.map { Int64($0.timeIntervalSince1970) } ?? 0),
            source: try row.optional("source_markdown"))
    }
}
