import Foundation
import PraxisSQLite

extension Schema {
    /// Tables whose rows decide who may read what (trust, memberships, bans, roles, accounts,
    /// communities, cached remote community documents, guest scopes): any change to one bumps the
    /// global read generation, so every cached answer is rebuilt (since version 24, changes to
    /// `remote_actors` only when the row is a community).
    static let readPermissionTables = [
        "trust_entries", "community_trust", "follows", "community_bans", "communities", "actors", "guest_scopes",
        "community_roles", "remote_actors", "node_settings",
    ]

    /// Version 22: read generations, the counters that tell a cached read answer is still current.
    ///
    /// `read_generations` holds one counter per scope: `c:` + a community's actor id (its
    /// `audience`), bumped by triggers on every change to an object addressed to it, to a like or a
    /// revision of such an object, and on every change to a reply whose thread lives there; `content`,
    /// bumped on every change to any object (search answers span all communities); and `*`, bumped on
    /// every change to the tables that decide who may read what (``readPermissionTables``, and
    /// accounts' role, affiliation and status). A cached answer records the counters of its scopes
    /// read in the same snapshot it was built from, and is served again only while they are equal.
    /// Counters only grow (no row is ever deleted, and the triggers never rely on an upsert, whose
    /// conflict clause the statement that fires a trigger could override), so an old answer can never
    /// match again.
    static let readCache = Migration(version: 22, name: "read generations for cached answers") { db in
        var sql = """
            CREATE TABLE read_generations (scope TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
            INSERT INTO read_generations (scope, n) VALUES ('*', 0), ('content', 0);

            """
        /// Statements bumping the scopes the SQL expressions `scopes` name, each once however many
        /// of them are equal (rows created when first seen): two statements per trigger, since
        /// they run at every write of a post.
        func bump(_ scopes: String...) -> String {
            let values = scopes.map { "SELECT \($0) AS scope" }.joined(separator: " UNION ")
            return """
                    INSERT INTO read_generations (scope, n) SELECT s.scope, 0 FROM (\(values)) s
                        WHERE NOT EXISTS (SELECT 1 FROM read_generations g WHERE g.scope = s.scope);
                    UPDATE read_generations SET n = n + 1 WHERE scope IN (\(scopes.joined(separator: ", ")));

                """
        }
        func community(_ row: String) -> String { "'c:' || coalesce(\(row).audience, '')" }
        func rootCommunity(_ row: String) -> String {
            "'c:' || coalesce((SELECT r.audience FROM objects r WHERE r.id = \(row).thread_root), '')"
        }
        func ofObject(_ id: String) -> String {
            "'c:' || coalesce((SELECT o.audience FROM objects o WHERE o.id = \(id)), '')"
        }
        sql += "CREATE TRIGGER objects_read_insert AFTER INSERT ON objects BEGIN\n"
            + bump(community("NEW"), "'content'") + "END;\n"
        sql += "CREATE TRIGGER objects_read_update AFTER UPDATE ON objects BEGIN\n"
            + bump(community("OLD"), community("NEW"), rootCommunity("NEW"), "'content'") + "END;\n"
        sql += "CREATE TRIGGER objects_read_delete AFTER DELETE ON objects BEGIN\n"
            + bump(community("OLD"), rootCommunity("OLD"), "'content'") + "END;\n"
        for (table, row, event) in [("likes", "NEW", "INSERT"), ("likes", "OLD", "DELETE"), ("object_revisions", "NEW", "INSERT")] {
            sql += "CREATE TRIGGER \(table)_read_\(event.lowercased()) AFTER \(event) ON \(table) BEGIN\n"
                + bump(ofObject("\(row).object_id")) + "END;\n"
        }
        for table in readPermissionTables {
            for event in ["INSERT", "UPDATE", "DELETE"] {
                sql += "CREATE TRIGGER \(table)_read_\(event.lowercased()) AFTER \(event) ON \(table) BEGIN\n"
                    + bump("'*'") + "END;\n"
            }
        }
        for event in ["INSERT", "UPDATE OF role, affiliation, status", "DELETE"] {
            let name = event.split(separator: " ")[0].lowercased()
            sql += "CREATE TRIGGER accounts_read_\(name) AFTER \(event) ON accounts BEGIN\n" + bump("'*'") + "END;\n"
        }
        try db.execute(sql)
    }
}

extension Schema {
    /// Version 24: cached remote actors other than communities no longer empty the read cache.
    ///
    /// Every inbound activity from an actor whose cached document expired refetches it, so on a
    /// federating node `remote_actors` changes all the time; until now each change bumped the
    /// permissions counter and every kept answer was rebuilt. What a cached answer depends on there
    /// is only a remote community's own row (its visibility decides who reads it); thread lists,
    /// thread pages and search show no remote person's profile. So only rows of type `Group`, before
    /// or after the change, bump it.
    static let readCacheRemoteGroups = Migration(version: 24, name: "read cache: remote communities only") { db in
        let bump = """
                INSERT INTO read_generations (scope, n) SELECT '*', 0
                    WHERE NOT EXISTS (SELECT 1 FROM read_generations WHERE scope = '*');
                UPDATE read_generations SET n = n + 1 WHERE scope = '*';
            """
        try db.execute(
            """
            DROP TRIGGER remote_actors_read_insert;
            DROP TRIGGER remote_actors_read_update;
            DROP TRIGGER remote_actors_read_delete;
            CREATE TRIGGER remote_actors_read_insert AFTER INSERT ON remote_actors WHEN NEW.type = 'Group' BEGIN
            \(bump)
            END;
            CREATE TRIGGER remote_actors_read_update AFTER UPDATE ON remote_actors
            WHEN OLD.type = 'Group' OR NEW.type = 'Group' BEGIN
            \(bump)
            END;
            CREATE TRIGGER remote_actors_read_delete AFTER DELETE ON remote_actors WHEN OLD.type = 'Group' BEGIN
            \(bump)
            END;
            """)
    }
}

/// The counters of some read scopes at one snapshot (see ``Schema`` version 22): a cached answer
/// built in that snapshot is current while ``ReadGenerations/stamp(_:)`` returns an equal value.
public struct ReadStamp: Sendable, Equatable {
    public var scopes: [String]
    public var values: [Int64]
}

/// Reads the counters of `read_generations`.
public struct ReadGenerations {
    /// The scope bumped by changes to who may read what.
    public static let permissions = "*"
    /// The scope bumped by every change to any object.
    public static let content = "content"
    /// The scope of one community's content (its actor id, as objects' `audience` holds it).
    public static func community(_ id: String) -> String { "c:" + id }

    let db: Connection
    public init(_ db: Connection) { self.db = db }

    /// The counters of `scopes` now (0 for a scope never bumped), in one query.
    public func stamp(_ scopes: [String]) throws -> ReadStamp {
        var found: [String: Int64] = [:]
        let marks = Array(repeating: "?", count: scopes.count).joined(separator: ", ")
        for row in try db.query(
            "SELECT scope, n FROM read_generations WHERE scope IN (\(marks))", arguments: scopes.map { $0 as any SQLBindable })
        {
            found[try row.get("scope", as: String.self)] = try row.get("n", as: Int64.self)
        }
        return ReadStamp(scopes: scopes, values: scopes.map { found[$0] ?? 0 })
    }
}
