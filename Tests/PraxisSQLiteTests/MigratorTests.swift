import PraxisSQLite
import Testing

@Suite struct MigratorTests {
    private static let base = [
        Migration(version: 1, name: "communities", sql: "CREATE TABLE communities (id INTEGER PRIMARY KEY, name TEXT)"),
        Migration(version: 2, name: "posts", sql: """
            CREATE TABLE posts (id INTEGER PRIMARY KEY, community_id INTEGER REFERENCES communities(id));
            CREATE INDEX posts_by_community ON posts (community_id);
            """),
        Migration(version: 3, name: "seed") { connection in
            try connection.run("INSERT INTO communities (name) VALUES (?)", "tenders")
        },
    ]

    private func tables(_ connection: Connection) throws -> [String] {
        try connection.query("SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name")
            .map { try $0.get("name") }
    }

    @Test func appliesInOrderAndRecordsEachMigration() throws {
        let connection = try Connection(path: ":memory:")
        let migrator = Migrator(Self.base)
        #expect(try migrator.currentVersion(connection) == 0)
        #expect(try migrator.pendingVersions(connection) == [1, 2, 3])
        #expect(try migrator.migrate(connection) == [1, 2, 3])
        #expect(try migrator.currentVersion(connection) == 3)
        let recorded = try connection.query("SELECT version, name, applied_at FROM schema_migrations ORDER BY version")
        #expect(try recorded.map { try $0.get("version", as: Int.self) } == [1, 2, 3])
        #expect(try recorded.map { try $0.get("name", as: String.self) } == ["communities", "posts", "seed"])
        let appliedAt = try recorded[0].get("applied_at", as: String.self)
        #expect(appliedAt.hasSuffix("Z") && appliedAt.contains("T"))
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM communities") == 1)
    }

    @Test func rerunIsIdempotentAndNewMigrationsApplyLater() throws {
        let connection = try Connection(path: ":memory:")
        #expect(try Migrator(Array(Self.base.prefix(2))).migrate(connection) == [1, 2])
        #expect(try Migrator(Array(Self.base.prefix(2))).migrate(connection) == [])
        #expect(try Migrator(Self.base).migrate(connection) == [3])
        #expect(try Migrator(Self.base).migrate(connection) == [])
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM communities") == 1)
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM schema_migrations") == 3)
    }

    @Test func failingMigrationRollsBackItselfAloneAndSaysWhich() throws {
        let connection = try Connection(path: ":memory:")
        let broken = Self.base + [
            Migration(version: 4, name: "half_done", sql: """
                CREATE TABLE attachments (id INTEGER PRIMARY KEY);
                INSERT INTO communities (name) VALUES ('second');
                INSERT INTO nowhere VALUES (1);
                """),
            Migration(version: 5, name: "never_reached", sql: "CREATE TABLE later (id INTEGER)"),
        ]
        let error = try #require(sqliteError { try Migrator(broken).migrate(connection) })
        #expect(error.message.hasPrefix("migration 4 'half_done' failed and was rolled back: "))
        #expect(error.message.contains("no such table: nowhere"))
        #expect(error.code == 1)
        // Migrations 1-3 stay applied; nothing of 4 remains; 5 never ran.
        #expect(try Migrator(broken).currentVersion(connection) == 3)
        #expect(try tables(connection) == ["communities", "posts", "schema_migrations"])
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM communities") == 1)
        #expect(!connection.isInTransaction)
    }

    @Test func failingCodeMigrationKeepsTheUnderlyingCode() throws {
        let connection = try Connection(path: ":memory:")
        let migrations = Self.base + [
            Migration(version: 4, name: "orphan_post") { connection in
                try connection.run("INSERT INTO posts (community_id) VALUES (?)", 404)
            },
        ]
        let error = try #require(sqliteError { try Migrator(migrations).migrate(connection) })
        #expect(error.extendedCode == 787)  // deferred foreign key check at the migration's commit
        #expect(error.message.contains("migration 4 'orphan_post'"))
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM posts") == 0)

        struct Custom: Error {}
        let custom = Self.base + [Migration(version: 4, name: "custom") { _ in throw Custom() }]
        let customError = try #require(sqliteError { try Migrator(custom).migrate(connection) })
        #expect(customError.message.contains("migration 4 'custom' failed"))
        #expect(customError.message.contains("Custom"))
    }

    @Test func tableRebuildWithForeignKeysWorksInsideAMigration() throws {
        let connection = try Connection(path: ":memory:")
        try Migrator(Self.base).migrate(connection)
        try connection.run("INSERT INTO posts (community_id) VALUES (1)")
        let rebuild = Self.base + [
            Migration(version: 4, name: "rebuild_communities", sql: """
                CREATE TABLE communities_new (id INTEGER PRIMARY KEY, name TEXT NOT NULL, title TEXT);
                INSERT INTO communities_new (id, name) SELECT id, name FROM communities;
                DROP TABLE communities;
                ALTER TABLE communities_new RENAME TO communities;
                """, disableForeignKeys: true),
        ]
        #expect(try Migrator(rebuild).migrate(connection) == [4])
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM posts") == 1)
        #expect(try connection.query("PRAGMA foreign_key_check").isEmpty)
        #expect(try connection.scalar(Int.self, "PRAGMA foreign_keys") == 1)

        // With enforcement off, the check before commit still refuses a dangling reference.
        let dangling = rebuild + [
            Migration(version: 5, name: "drop_parent", sql: "DELETE FROM communities", disableForeignKeys: true),
        ]
        let error = try #require(sqliteError { try Migrator(dangling).migrate(connection) })
        #expect(error.extendedCode == 787)
        #expect(error.message.contains("migration 5 'drop_parent'"))
        #expect(error.message.contains("1 foreign key violation(s) in posts"))
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM communities") == 1)
        #expect(try connection.scalar(Int.self, "PRAGMA foreign_keys") == 1)
    }

    @Test func newerDatabaseIsRefusedAndLeftUntouched() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("newer.sqlite")
            let connection = try Connection(path: path)
            try Migrator(Self.base).migrate(connection)
            let before = try connection.query("SELECT * FROM schema_migrations ORDER BY version")
            let changesBefore = connection.totalChanges

            let older = Migrator(Array(Self.base.prefix(2)))
            let error = try #require(sqliteError { try older.migrate(connection) })
            #expect(error.message.contains("schema is at version 3, newer than the newest migration this program knows (2)"))
            #expect(try connection.query("SELECT * FROM schema_migrations ORDER BY version").map(\.values) == before.map(\.values))
            #expect(connection.totalChanges == changesBefore)
            #expect(try tables(connection) == ["communities", "posts", "schema_migrations"])

            let databaseError = sqliteError { _ = try Database(path: path, migrations: Array(Self.base.prefix(1))) }
            #expect(databaseError?.message.contains("newer than the newest migration") == true)
        }
    }

    @Test func unsortedDuplicateOrNonPositiveVersionsAreRejected() throws {
        let connection = try Connection(path: ":memory:")
        let a = Migration(version: 1, name: "a", sql: "CREATE TABLE a (x)")
        let b = Migration(version: 2, name: "b", sql: "CREATE TABLE b (x)")
        let duplicate = Migration(version: 2, name: "b2", sql: "CREATE TABLE b2 (x)")
        let zero = Migration(version: 0, name: "zero", sql: "CREATE TABLE z (x)")

        let unsorted = sqliteError { try Migrator([b, a]).migrate(connection) }
        #expect(unsorted?.message.contains("comes after") == true)
        let duplicated = sqliteError { try Migrator([a, b, duplicate]).migrate(connection) }
        #expect(duplicated?.message.contains("share version 2") == true)
        #expect(sqliteError { try Migrator([zero, a]).validate() }?.message.contains("must be positive") == true)
        #expect(throws: Never.self) { try Migrator([a, b]).validate() }
        // Nothing was written by the rejected lists.
        #expect(try tables(connection).isEmpty)
    }
}
