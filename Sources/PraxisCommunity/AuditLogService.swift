import Foundation
import PraxisActivityStreams
import PraxisSQLite
import PraxisStorage

/// Reading the operators' audit log: one query for `praxis audit list` and for
/// `GET /api/v1/audit-log`, so both filter and page the same way.
///
/// Filters arrive as text (query parameters or command-line options) and are checked here:
/// ``query(action:actor:since:until:cursor:limit:limits:)`` throws an ``AuditLogService/InvalidFilter``
/// naming the filter at fault, which the API answers with 400 and the CLI prints.
public struct AuditLogService: Sendable {
    public let store: NodeStore

    public init(store: NodeStore) { self.store = store }

    /// A checked request for one page of entries.
    public struct Query: Sendable, Equatable {
        public var filter: AuditFilter
        public var limit: Int

        public init(filter: AuditFilter = AuditFilter(), limit: Int) {
            self.filter = filter
            self.limit = limit
        }
    }

    /// One page, newest first; `next` is the cursor of the following page, nil on the last one.
    public struct Page: Sendable, Equatable {
        public var entries: [AuditEntry]
        public var next: String?
    }

    /// A filter value that cannot be used, with the filter's name and what to send instead.
    public struct InvalidFilter: Error, Sendable, Equatable, CustomStringConvertible {
        public let field: String
        public let message: String
        public var description: String { message }
    }

    /// The longest action or operator name accepted as a filter (recorded names are shorter).
    static let maxFilterLength = 200

    /// Checks the textual filters; nil or empty means "no filter".
    /// - Parameters:
    ///   - action: an exact action (`trust.set`) or a family (`trust`, matching `trust.…`).
    ///   - actor: the operator's name as recorded.
    ///   - since, until: RFC 3339 times (`2026-12-07T16:00:00Z`), both inclusive.
    ///   - cursor: the `next` of a previous page.
    ///   - limit: the page size, within `limits`; `limits.defaultLimit` when nil.
    /// - Throws: ``InvalidFilter`` naming the first filter at fault.
    public static func query(action: String? = nil, actor: String? = nil, since: String? = nil, until: String? = nil,
                             cursor: String? = nil, limit: String? = nil, limits: Limits = .api) throws(InvalidFilter)
        -> Query
    {
        func present(_ value: String?) -> String? {
            guard let value, !value.isEmpty else { return nil }
            return value
        }
        var filter = AuditFilter()
        if let action = present(action) {
            let allowed = action.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "." || $0 == "-" || $0 == "_"
            }
            let words = action.split(separator: ".", omittingEmptySubsequences: false)
            guard allowed, action.count <= maxFilterLength, words.allSatisfy({ !$0.isEmpty }) else {
                throw InvalidFilter(field: "action", message: """
                    "action" must be an action such as trust.set, or a family such as trust \
                    (lower-case letters, digits, '-', '_' and inner dots)
                    """)
            }
            filter.action = action
        }
        if let actor = present(actor) {
            guard actor.count <= maxFilterLength else {
                throw InvalidFilter(field: "actor", message: "\"actor\" must be an operator's name of at most \(maxFilterLength) characters")
            }
            filter.operatorName = actor
        }
        func time(_ text: String?, _ field: String) throws(InvalidFilter) -> Date? {
            guard let text = present(text) else { return nil }
            guard let date = ISO8601.date(text) else {
                throw InvalidFilter(field: field, message: "\"\(field)\" must be an RFC 3339 time such as 2026-12-07T16:00:00Z")
            }
            return date
        }
        filter.since = try time(since, "since")
        filter.until = try time(until, "until")
        if let since = filter.since, let until = filter.until, since > until {
            throw InvalidFilter(field: "until", message: "\"until\" must not be earlier than \"since\"")
        }
        if let cursor = present(cursor) {
            guard cursor.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }), cursor.utf8.count <= 18,
                let id = Int64(cursor), id > 0
            else {
                throw InvalidFilter(field: "cursor", message: "\"cursor\" must be the \"next\" value of a previous page")
            }
            filter.beforeID = id
        }
        var size = limits.defaultLimit
        if let text = present(limit) {
            guard let value = Int(text), limits.range.contains(value) else {
                throw InvalidFilter(
                    field: "limit",
                    message: "\"limit\" must be a whole number from \(limits.range.lowerBound) to \(limits.range.upperBound)")
            }
            size = value
        }
        return Query(filter: filter, limit: size)
    }

    /// The page sizes one reader of the log accepts.
    public struct Limits: Sendable {
        public var range: ClosedRange<Int>
        public var defaultLimit: Int

        public init(range: ClosedRange<Int>, defaultLimit: Int) {
            self.range = range
            self.defaultLimit = defaultLimit
        }

        /// `GET /api/v1/audit-log`: 1 to 100, 50 by default.
        public static let api = Limits(range: 1...100, defaultLimit: 50)
        /// `praxis audit list`: 1 to 10 000, 100 by default.
        public static let cli = Limits(range: 1...10_000, defaultLimit: 100)
    }

    /// One page of the log, for the node's operators at its console (no account involved).
    public func page(_ query: Query) throws -> Page {
        try store.database.read { db in try Self.page(query, db: db) }
    }

    /// One page of the log, for a node admin signed in through the API.
    /// - Throws: `CommunityError(.forbidden)` unless `viewer` is an active admin.
    public func page(_ query: Query, viewer: String) async throws -> Page {
        try await store.database.read { db in
            guard let account = try AccountRepository(db).find(username: viewer), account.status == .active,
                account.role == .admin
            else { throw CommunityError(.forbidden, "only the node's admins can read its audit log") }
            return try Self.page(query, db: db)
        }
    }

    static func page(_ query: Query, db: Connection) throws -> Page {
        // One more than asked tells whether another page follows.
        var entries = try AuditRepository(db).entries(query.filter, limit: query.limit + 1)
        var next: String?
        if entries.count > query.limit {
            entries.removeLast(entries.count - query.limit)
            next = entries.last.map { String($0.id) }
        }
        return Page(entries: entries, next: next)
    }
}
