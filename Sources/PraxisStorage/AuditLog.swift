import Foundation
import PraxisSQLite

/// An operator's action, as recorded in the audit log.
public struct AuditEntry: Sendable, Equatable, Codable {
    public var id: Int64
    public var operatorName: String
    public var action: String
    public var target: String
    public var detail: String
    public var createdAt: Date
}

/// Which audit log entries to read. Every condition left nil matches everything.
public struct AuditFilter: Sendable, Equatable {
    /// An exact action (`trust.set`), or a family (`trust`) that matches itself and every
    /// `trust.…` action.
    public var action: String?
    /// The operator's name, exactly as recorded.
    public var operatorName: String?
    /// Entries recorded at or after this time (whole seconds: a fraction rounds up).
    public var since: Date?
    /// Entries recorded at or before this time (whole seconds: a fraction rounds down).
    public var until: Date?
    /// Entries older than this one (its id): the cursor of the next page.
    public var beforeID: Int64?

    public init(action: String? = nil, operatorName: String? = nil, since: Date? = nil, until: Date? = nil,
                beforeID: Int64? = nil) {
        self.action = action
        self.operatorName = operatorName
        self.since = since
        self.until = until
        self.beforeID = beforeID
    }
}

/// The operators' audit log: trust changes, registrations approved or refused, suspensions, role
/// changes.
public struct AuditRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    @discardableResult
    public func record(operator operatorName: String, action: String, target: String, detail: String = "",
                       now: Date = Date()) throws -> Int64 {
        try db.run(
            "INSERT INTO audit_log (operator, action, target, detail, created_at) VALUES (?, ?, ?, ?, ?)",
            operatorName, action, target, detail, now.unixSeconds)
        return db.lastInsertRowID
    }

    /// The entries `filter` matches, newest first (by id, the order they were recorded in).
    public func entries(_ filter: AuditFilter = AuditFilter(), limit: Int = 100) throws -> [AuditEntry] {
        var conditions: [String] = []
        var arguments: [any SQLBindable] = []
        if let action = filter.action {
            // A family matches `family.…`; compared with substr, not LIKE, so `_` and `%` are literal.
            conditions.append("(action = ? OR substr(action, 1, ?) = ?)")
            arguments += [action, Int64(action.utf8.count + 1), action + "."]
        }
        if let name = filter.operatorName {
            conditions.append("operator = ?")
            arguments.append(name)
        }
        if let since = filter.since {
            conditions.append("created_at >= ?")
            arguments.append(Int64(since.timeIntervalSince1970.rounded(.up)))
        }
        if let until = filter.until {
            conditions.append("created_at <= ?")
            arguments.append(Int64(until.timeIntervalSince1970.rounded(.down)))
        }
        if let before = filter.beforeID {
            conditions.append("id < ?")
            arguments.append(before)
        }
        let clause = conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")
        arguments.append(Int64(limit))
        return try db.query("SELECT * FROM audit_log\(clause) ORDER BY id DESC LIMIT ?", arguments: arguments).map { row in
            AuditEntry(
                id: try row.get("id"), operatorName: try row.get("operator"), action: try row.get("action"),
                target: try row.get("target"), detail: try row.get("detail"),
                createdAt: Date(unixSeconds: try row.get("created_at")))
        }
    }
}
