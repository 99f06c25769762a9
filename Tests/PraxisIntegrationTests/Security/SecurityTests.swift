import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// The security suite (issue 6, item 6): one sub-suite per threat, each case run against real
/// nodes on loopback and asserting both the refusal (status and message) and that the node's
/// storage is unchanged (``StorageSnapshot``, a checksum of every table's contents).
///
/// The threat matrix, and where each item is tested:
/// - forged, replayed, stale and tampered signatures; key/actor host mismatch:
///   ``InboxSecurityTests`` (status, message and inbox traces unchanged);
/// - impersonation through `Announce` by a non-group actor: `Impersonation` here;
/// - `Update`/`Delete` of another author's object, sent directly or relayed: ``ChangeAuthorityTests``
///   and `Impersonation` here;
/// - oversized bodies and headers, deeply nested JSON: `Limits` here;
/// - XSS payloads in titles, posts, tags, display names and file names: `Markup` here, and
///   ``HostileContentTests`` for HTML sent by another node;
/// - path traversal in document and blob paths: `Traversal` here;
/// - SQL metacharacters in every text field of the API: `Metacharacters` here;
/// - SSRF through actor, key and document URLs and follows by handle, including `localhost`:
///   `ServerSideRequests` and `DocumentURLs` here; DNS names resolving (wholly or in part) to
///   private addresses, redirects from an allowed remote to loopback and the metadata service,
///   inboxes declared inside and DNS rebinding before a delivery, on a production node with
///   operator-allowed private networks: `Networks` here; every reserved range and the redirect hop
///   at client level: `ClientSSRFTests`, `ClientResolverTests`, `ClientRedirectTests` and
///   `DeliveryPolicyTests`;
/// - members-only content through the API, document bytes and search: `MembersOnly` here;
///   through federation: ``MembersOnlyTests`` and ``DocumentFederationTests``.
@Suite("Security", .serialized) struct SecurityTests {}

/// A checksum of the contents of each table of a node's database, to show that a refused request
/// changed nothing. Sessions, the audit trail and per-node contact bookkeeping are left out: they
/// record the attempt itself, not content.
struct StorageSnapshot: Equatable, CustomStringConvertible {
    var tables: [String: String]

    /// Tables left out of the comparison. `read_generations` holds counters the triggers bump on
    /// any change to a table that matters for reads (caching a sender's key touches
    /// `remote_actors`): a change there shows up in the table that caused it.
    static let bookkeeping: Set<String> = ["sessions", "audit_log", "remote_nodes", "delivery_lanes", "read_generations"]

    static func take(_ f: FederationFixture, node: Int = 0) async throws -> StorageSnapshot {
        try await take(f.directory(node))
    }

    static func take(_ directory: DataDirectory) async throws -> StorageSnapshot {
        try await NodeStore(directory: directory, readers: 1).database.read { db in
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
    }

    var description: String { tables.keys.sorted().map { "\($0)=\(tables[$0]?.prefix(8) ?? "")" }.joined(separator: " ") }

    /// The tables whose contents differ from `other`'s.
    func changed(since other: StorageSnapshot) -> [String] {
        Set(tables.keys).union(other.tables.keys).filter { tables[$0] != other.tables[$0] }.sorted()
    }
}

extension HTTPClientResponse {
    /// The API error's message (`{"error": {"message": ...}}`), else the body as text.
    var refusal: String {
        if let json = try? JSON.parse(body), let message = json["error"]?["message"]?.stringValue { return message }
        return text
    }
}
