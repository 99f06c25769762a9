import Foundation
import PraxisSQLite

extension Schema {
    /// Version 18: indexes for community health and node usage figures. Likes are read by time
    /// (active members, trending threads), documents are counted per community, and local posts
    /// by origin (NodeInfo); each would otherwise scan a whole table or a whole community.
    static let health = Migration(version: 18, name: "health and usage indexes", sql: """
        CREATE INDEX likes_created ON likes (created_at);
        CREATE INDEX objects_origin ON objects (origin_domain, in_reply_to);
        CREATE INDEX objects_documents ON objects (audience, published) WHERE type = 'Document';
        """)
}

/// Activity figures of a set of communities over recent windows (see ``HealthRepository``).
///
/// Every window is half-open and ends at ``generatedAt``: "the last 7 days" are the instants
/// `t` with `generatedAt - 7 days < t <= generatedAt`. Deleted content counts nowhere.
public struct HealthFigures: Sendable, Equatable {
    public var generatedAt: Date
    /// Distinct authors of posts, replies, documents or helpful marks in the last 7 days.
    public var activeMembers7d: Int
    /// The same over the last 30 days.
    public var activeMembers30d: Int
    /// New threads (not replies, not documents) per week, oldest week first; the last entry is
    /// the 7 days ending at `generatedAt`.
    public var newThreadsPerWeek: [WeekCount]
    /// Questions opened in the last 30 days.
    public var questions30d: QuestionFigures
    /// Questions opened in the last 90 days.
    public var questions90d: QuestionFigures
    /// Documents shared in the last 30 days.
    public var documents30d: Int
    /// Documents in the library now.
    public var documentsTotal: Int
    /// Posts (threads and replies) of the last 30 days, and how many came from other nodes.
    public var posts30d: Int
    public var remotePosts30d: Int
    /// Tags of the last 7 days against the 7 days before, biggest rise first.
    public var trendingTags: [TrendingTag]
    /// Threads with the most replies and helpful marks in the last 7 days.
    public var trendingThreads: [TrendingThread]

    /// Share of the last 30 days' posts that came from other nodes; nil without posts.
    public var remoteShare30d: Double? { posts30d == 0 ? nil : Double(remotePosts30d) / Double(posts30d) }

    public struct WeekCount: Sendable, Equatable {
        public var start: Date
        public var count: Int
        public init(start: Date, count: Int) {
            self.start = start
            self.count = count
        }
    }

    public struct QuestionFigures: Sendable, Equatable {
        /// Questions opened in the window.
        public var asked: Int
        /// Of those, questions with a reply by someone other than the asker.
        public var answered: Int
        /// Of those, questions whose asker accepted an answer.
        public var accepted: Int
        /// Median time from a question to its first reply by someone else, over answered ones.
        public var medianTimeToFirstAnswer: TimeInterval?

        public init(asked: Int, answered: Int, accepted: Int, medianTimeToFirstAnswer: TimeInterval?) {
            self.asked = asked
            self.answered = answered
            self.accepted = accepted
            self.medianTimeToFirstAnswer = medianTimeToFirstAnswer
        }

        /// Share of the questions answered; nil when none was asked.
        public var answeredShare: Double? { asked == 0 ? nil : Double(answered) / Double(asked) }
    }

    public struct TrendingTag: Sendable, Equatable {
        public var tag: String
        /// Posts with the tag in the last 7 days.
        public var count: Int
        /// Posts with the tag in the 7 days before.
        public var previous: Int

        public init(tag: String, count: Int, previous: Int) {
            self.tag = tag
            self.count = count
            self.previous = previous
        }
    }

    public struct TrendingThread: Sendable, Equatable {
        public var id: String
        public var title: String?
        public var kind: String?
        public var community: String?
        public var replies: Int
        public var likes: Int

        public init(id: String, title: String?, kind: String?, community: String?, replies: Int, likes: Int) {
            self.id = id
            self.title = title
            self.kind = kind
            self.community = community
            self.replies = replies
            self.likes = likes
        }
    }
}

/// Health queries over content, likes and documents, for the communities named by their actor
/// ids. Each figure is one SQL statement that reads only the rows of its window through the
/// `(audience, published)`, reply and like-time indexes, so the cost follows recent activity, not
/// the size of the archive. Likes are joined with `CROSS JOIN`, which fixes SQLite's join order:
/// likes of the window first, then each liked object by its key, never a whole community's posts.
public struct HealthRepository {
    let db: Connection
    /// Content hidden from readers (blocked or excluded nodes) counts nowhere; nil counts all.
    private var visible: OriginFilter?
    public init(_ db: Connection) { self.db = db }

    static let day: Int64 = 86_400
    static let week: Int64 = 7 * 86_400
    /// Weeks in ``HealthFigures/newThreadsPerWeek``.
    public static let weeks = 8
    /// Entries in the trending lists.
    public static let trendingTagLimit = 10
    public static let trendingThreadLimit = 5

    /// Rows of the communities in scope; the list is bound once as a JSON array.
    static let inScope = "audience IN (SELECT value FROM json_each(:scope))"

    /// ` AND` the visibility condition on the `objects` row aliased `alias` (empty without a filter).
    func shown(_ alias: String) -> String {
        visible.map { " AND " + $0.namedCondition(alias: alias).sql } ?? ""
    }

    /// `arguments` plus those of the visibility condition.
    func bound(_ arguments: [String: any SQLBindable]) -> [String: any SQLBindable] {
        arguments.merging(visible?.namedCondition(alias: "objects").arguments ?? [:]) { mine, _ in mine }
    }

    /// All figures for `communities` at `now`.
    /// - Parameters:
    ///   - localDomain: this node's authority; content with another origin is "from other nodes".
    ///   - visible: the rule that hides content of blocked or excluded nodes on every read path
    ///     (``OriginFilter``); such content then counts in no figure, like in lists and search.
    public func figures(communities: [String], localDomain: String, now: Date = Date(), visible: OriginFilter? = nil) throws
        -> HealthFigures
    {
        var repository = self
        repository.visible = visible
        return try repository.figures(communities: communities, localDomain: localDomain, now: now)
    }

    private func figures(communities: [String], localDomain: String, now: Date) throws -> HealthFigures {
        let scope = String(decoding: (try? JSONEncoder().encode(communities)) ?? Data("[]".utf8), as: UTF8.self)
        let end = now.unixSeconds
        let (posts, remote) = try postCounts(scope: scope, localDomain: localDomain, end: end)
        let documents = try documentCounts(scope: scope, end: end)
        return HealthFigures(
            generatedAt: Date(unixSeconds: end),
            activeMembers7d: try activeMembers(scope: scope, end: end, days: 7),
            activeMembers30d: try activeMembers(scope: scope, end: end, days: 30),
            newThreadsPerWeek: try newThreadsPerWeek(scope: scope, end: end),
            questions30d: try questions(scope: scope, end: end, days: 30),
            questions90d: try questions(scope: scope, end: end, days: 90),
            documents30d: documents.recent, documentsTotal: documents.total,
            posts30d: posts, remotePosts30d: remote,
            trendingTags: try trendingTags(scope: scope, end: end),
            trendingThreads: try trendingThreads(scope: scope, end: end))
    }

    func activeMembers(scope: String, end: Int64, days: Int64) throws -> Int {
        try db.queryOne(
            """
            SELECT count(*) AS n FROM (
                SELECT attributed_to FROM objects
                WHERE \(Self.inScope) AND deleted_at IS NULL AND published > :start AND published <= :end\(shown("objects"))
                UNION
                SELECT l.actor FROM likes l CROSS JOIN objects o ON o.id = l.object_id
                WHERE l.created_at > :start AND l.created_at <= :end AND o.\(Self.inScope) AND o.deleted_at IS NULL\(shown("o"))
            )
            """,
            named: bound([":scope": scope, ":start": end - days * Self.day, ":end": end])
        )?.get("n") ?? 0
    }

    func newThreadsPerWeek(scope: String, end: Int64) throws -> [HealthFigures.WeekCount] {
        var counts = Array(repeating: 0, count: Self.weeks)
        // Week 0 holds (end - 7 days, end], week 1 the 7 days before, and so on: an instant
        // exactly 7 days back opens week 1, as it falls outside "the last 7 days" everywhere else.
        for row in try db.query(
            """
            SELECT (:end - published) / \(Self.week) AS week, count(*) AS n FROM objects
            WHERE \(Self.inScope) AND in_reply_to IS NULL AND type != 'Document' AND deleted_at IS NULL
                AND published > :start AND published <= :end\(shown("objects"))
            GROUP BY week
            """,
            named: bound([":scope": scope, ":start": end - Int64(Self.weeks) * Self.week, ":end": end]))
        {
            let week: Int = try row.get("week")
            if counts.indices.contains(week) { counts[week] = try row.get("n") }
        }
        return (0..<Self.weeks).reversed().map { week in
            HealthFigures.WeekCount(start: Date(unixSeconds: end - Int64(week + 1) * Self.week), count: counts[week])
        }
    }

    func questions(scope: String, end: Int64, days: Int64) throws -> HealthFigures.QuestionFigures {
        // One row per question: its delay to the first reply by someone else (NULL when none
        // yet) and whether an answer was accepted. Replies use the (in_reply_to, published) index.
        let rows = try db.query(
            """
            SELECT max(0, (SELECT min(r.published) FROM objects r
                           WHERE r.in_reply_to = q.id AND r.attributed_to != q.attributed_to
                               AND r.deleted_at IS NULL AND r.published <= :end\(shown("r"))) - q.published) AS delay,
                q.accepted_answer IS NOT NULL AS accepted
            FROM objects q
            WHERE q.\(Self.inScope) AND q.kind = 'question' AND q.in_reply_to IS NULL AND q.deleted_at IS NULL
                AND q.published > :start AND q.published <= :end\(shown("q"))
            ORDER BY delay
            """,
            named: bound([":scope": scope, ":start": end - days * Self.day, ":end": end]))
        var delays: [Int64] = []
        var accepted = 0
        for row in rows {
            if let delay: Int64 = try row.optional("delay") { delays.append(delay) }
            if try row.get("accepted", as: Bool.self) { accepted += 1 }
        }
        return HealthFigures.QuestionFigures(
            asked: rows.count, answered: delays.count, accepted: accepted, medianTimeToFirstAnswer: Self.median(delays))
    }

    /// The median of sorted values (the mean of the middle two for an even count).
    static func median(_ sorted: [Int64]) -> TimeInterval? {
        guard !sorted.isEmpty else { return nil }
        let middle = sorted.count / 2
        if sorted.count % 2 == 1 { return TimeInterval(sorted[middle]) }
        return (TimeInterval(sorted[middle - 1]) + TimeInterval(sorted[middle])) / 2
    }

    func documentCounts(scope: String, end: Int64) throws -> (recent: Int, total: Int) {
        let row = try db.queryOne(
            """
            SELECT count(*) AS total, coalesce(sum(published > :start AND published <= :end), 0) AS recent FROM objects
            WHERE \(Self.inScope) AND type = 'Document' AND deleted_at IS NULL\(shown("objects"))
            """,
            named: bound([":scope": scope, ":start": end - 30 * Self.day, ":end": end]))
        guard let row else { return (0, 0) }
        return (try row.get("recent"), try row.get("total"))
    }

    func postCounts(scope: String, localDomain: String, end: Int64) throws -> (posts: Int, remote: Int) {
        let row = try db.queryOne(
            """
            SELECT count(*) AS posts, coalesce(sum(origin_domain != :local), 0) AS remote FROM objects
            WHERE \(Self.inScope) AND type != 'Document' AND deleted_at IS NULL AND published > :start AND published <= :end\(shown("objects"))
            """,
            named: bound([":scope": scope, ":local": localDomain.lowercased(), ":start": end - 30 * Self.day, ":end": end]))
        guard let row else { return (0, 0) }
        return (try row.get("posts"), try row.get("remote"))
    }

    func trendingTags(scope: String, end: Int64) throws -> [HealthFigures.TrendingTag] {
        try db.query(
            """
            SELECT t.value AS tag, sum(o.published > :middle) AS current, sum(o.published <= :middle) AS previous
            FROM objects o, json_each(CASE WHEN json_valid(o.tags) THEN o.tags ELSE '[]' END) t
            WHERE o.\(Self.inScope) AND o.deleted_at IS NULL AND o.published > :start AND o.published <= :end
                AND t.type = 'text'\(shown("o"))
            GROUP BY t.value HAVING current > 0
            ORDER BY current - previous DESC, current DESC, tag
            LIMIT \(Self.trendingTagLimit)
            """,
            named: bound([":scope": scope, ":start": end - 2 * Self.week, ":middle": end - Self.week, ":end": end])
        ).map { row in
            HealthFigures.TrendingTag(tag: try row.get("tag"), count: try row.get("current"), previous: try row.get("previous"))
        }
    }

    func trendingThreads(scope: String, end: Int64) throws -> [HealthFigures.TrendingThread] {
        // A helpful mark on a reply counts for the reply's thread.
        try db.query(
            """
            WITH activity (thread, reply, liked) AS (
                SELECT in_reply_to, 1, 0 FROM objects
                WHERE \(Self.inScope) AND in_reply_to IS NOT NULL AND deleted_at IS NULL
                    AND published > :start AND published <= :end\(shown("objects"))
                UNION ALL
                SELECT coalesce(o.in_reply_to, o.id), 0, 1 FROM likes l CROSS JOIN objects o ON o.id = l.object_id
                WHERE l.created_at > :start AND l.created_at <= :end AND o.\(Self.inScope) AND o.deleted_at IS NULL\(shown("o"))
            )
            SELECT t.id, t.name, t.kind, t.audience, sum(a.reply) AS replies, sum(a.liked) AS likes
            FROM activity a JOIN objects t ON t.id = a.thread
            WHERE t.in_reply_to IS NULL AND t.type != 'Document' AND t.deleted_at IS NULL\(shown("t"))
            GROUP BY t.id
            ORDER BY replies + likes DESC, replies DESC, t.id
            LIMIT \(Self.trendingThreadLimit)
            """,
            named: bound([":scope": scope, ":start": end - Self.week, ":end": end])
        ).map { row in
            HealthFigures.TrendingThread(
                id: try row.get("id"), title: try row.optional("name"), kind: try row.optional("kind"),
                community: try row.optional("audience"), replies: try row.get("replies"), likes: try row.get("likes"))
        }
    }

    /// NodeInfo's `localPosts` and `localComments`: threads and replies written on this node.
    public func localPostCounts(localDomain: String) throws -> (posts: Int, comments: Int) {
        let row = try db.queryOne(
            """
            SELECT coalesce(sum(in_reply_to IS NULL), 0) AS posts, coalesce(sum(in_reply_to IS NOT NULL), 0) AS comments
            FROM objects WHERE origin_domain = ? AND type != 'Document' AND deleted_at IS NULL
            """,
            localDomain.lowercased())
        guard let row else { return (0, 0) }
        return (try row.get("posts"), try row.get("comments"))
    }

    /// Size of the database file and its write-ahead log, in bytes.
    public func databaseBytes() throws -> Int64 {
        let pages = try db.scalar(Int64.self, "PRAGMA page_count") ?? 0
        let size = try db.scalar(Int64.self, "PRAGMA page_size") ?? 0
        return pages * size
    }
}
