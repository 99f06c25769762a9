import Foundation
import PraxisSQLite

/// How far this node federates with another node.
public enum TrustLevel: String, Sendable, Codable, CaseIterable, Comparable {
    /// Nothing either way: no delivery, no fetch, inbox refused.
    case blocked
    /// Public content only.
    case limited
    /// Everything the node is entitled to, including members-only content of communities where it
    /// hosts an approved member.
    case trusted

    private var rank: Int {
        switch self {
        case .blocked: 0
        case .limited: 1
        case .trusted: 2
        }
    }

    public static func < (lhs: TrustLevel, rhs: TrustLevel) -> Bool { lhs.rank < rhs.rank }
}

/// One entry of the node's trust list.
public struct TrustEntry: Sendable, Equatable, Codable {
    /// The other node's authority (`host` or `host:port`), lowercase.
    public var domain: String
    public var level: TrustLevel
    public var note: String
    public var updatedAt: Date

    public init(domain: String, level: TrustLevel, note: String = "", updatedAt: Date = Date()) {
        self.domain = domain
        self.level = level
        self.note = note
        self.updatedAt = updatedAt
    }
}

/// The node's trust list.
public struct TrustRepository {
    let db: Connection
    public init(_ db: Connection) { self.db = db }

    public func set(_ entry: TrustEntry) throws {
        try db.run(
            """
            INSERT INTO trust_entries (domain, level, note, updated_at) VALUES (?, ?, ?, ?)
            ON CONFLICT (domain) DO UPDATE SET level = excluded.level, note = excluded.note, updated_at = excluded.updated_at
            """,
            entry.domain.lowercased(), entry.level.rawValue, entry.note, entry.updatedAt.unixSeconds)
    }

    /// Removes an entry; false when there was none.
    @discardableResult
    public func remove(domain: String) throws -> Bool {
        try db.run("DELETE FROM trust_entries WHERE domain = ?", domain.lowercased())
        return db.changes > 0
    }

    public func find(domain: String) throws -> TrustEntry? {
        try db.queryOne("SELECT * FROM trust_entries WHERE domain = ?", domain.lowercased()).map(Self.entry(from:))
    }

    public func all() throws -> [TrustEntry] {
        try db.query("SELECT * FROM trust_entries ORDER BY domain").map(Self.entry(from:))
    }

    static func entry(from row: Row) throws -> TrustEntry {
        guard let level = TrustLevel(rawValue: try row.get("level", as: String.self)) else {
            throw StorageError.invalidValue("unknown trust level in trust_entries")
        }
        return TrustEntry(domain: try row.get("domain"), level: level, note: try row.get("note"),
                          updatedAt: Date(unixSeconds: try row.get("updated_at")))
    }
}
