import Foundation
import PraxisCrypto
import PraxisSQLite
import PraxisStorage

/// A checksum of the contents of each table of a node's database, to show that a refused request
/// changed nothing. Sessions, the audit trail and per-node contact bookkeeping are left out: they
/// record the attempt itself, not content.
///
/// ```swift
/// let before = try await StorageSnapshot.take(store)
/// // … a request that must be refused …
/// #expect(try await StorageSnapshot.take(store).changed(since: before) == [])
/// ```
public struct StorageSnapshot: Equatable, Sendable, CustomStringConvertible {
    public var tables: [String: String]

    /// Tables left out of the comparison. `read_generations` holds counters the triggers bump on
    /// any change to a table that matters for reads (caching a sender's key touches
    /// `remote_actors`): a change there shows up in the table that caused it.
    public static let bookkeeping: Set<String> = ["sessions", "audit_log", "remote_nodes", "delivery_lanes", "read_generations"]

    /// The snapshot of the node stored in `directory`, read through a connection of its own.
    public static func take(_ directory: DataDirectory) async throws -> StorageSnapshot {
        try await take(NodeStore(directory: directory, readers: 1))
    }

    /// The snapshot of `store`'s database.
    public static func take(_ store: NodeStore) async throws -> StorageSnapshot {
        try await store.database.read { db in try take(db) }
    }

    static func take(_ db: Connection) throws -> StorageSnapshot {
        var tables: [String: String] = [:]
        let names = try db.query("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
            .map { try $0.get("name", as: String.self) }
        for name in names where !bookkeeping.contains(name) && !name.hasPrefix("search_documents_") {
            let columns = try db.query("SELECT name FROM pragma_table_info(?)", name).map { try $0.get("name", as: String.self) }
            guard !columns.isEmpty else { continue }
            let row = columns.map { "quote(\"\($0)\")" }.joined(separator: " || ',' || ")
            let text = try db.scalar(
                String.self, "SELECT group_concat(r, char(10)) FROM (SELECT \(row) AS r FROM \"\(name)\" ORDER BY r)") ?? ""
            tables[name] = BlobStore.hex(SHA256.hash(Array(text.utf8)))
        }
        return StorageSnapshot(tables: tables)
    }

    public var description: String { tables.keys.sorted().map { "\($0)=\(tables[$0]?.prefix(8) ?? "")" }.joined(separator: " ") }

    /// The tables whose contents differ from `other`'s.
    public func changed(since other: StorageSnapshot) -> [String] {
        Set(tables.keys).union(other.tables.keys).filter { tables[$0] != other.tables[$0] }.sorted()
    }
}
