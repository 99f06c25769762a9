import PraxisSQLite
import Testing

@Suite struct SQLiteErrorTests {
    private func schema() throws -> Connection {
        let connection = try Connection(path: ":memory:")
        try connection.execute("""
            CREATE TABLE communities (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE);
            CREATE TABLE posts (
                id INTEGER PRIMARY KEY,
                community_id INTEGER NOT NULL REFERENCES communities(id),
                body TEXT CHECK (length(body) > 0)
            );
            INSERT INTO communities (id, name) VALUES (1, 'tenders');
            """)
        return connection
    }

    @Test func uniqueViolationCarriesExtendedCodeMessageAndSQL() throws {
        let connection = try schema()
        let sql = "INSERT INTO communities (name) VALUES (?)"
        let error = try #require(sqliteError { try connection.run(sql, "tenders") })
        #expect(error.code == 19)
        #expect(error.extendedCode == 2067)
        #expect(error.isConstraintViolation)
        #expect(error.isUniqueViolation)
        #expect(!error.isForeignKeyViolation)
        #expect(!error.isBusy)
        #expect(error.message == "UNIQUE constraint failed: communities.name")
        #expect(error.sql == sql)
        #expect(error.description.contains("2067"))
        #expect(error.description.contains(sql))
    }

    @Test func foreignKeyViolationIs787() throws {
        let connection = try schema()
        let error = try #require(sqliteError {
            try connection.run("INSERT INTO posts (community_id, body) VALUES (?, ?)", 99, "hello")
        })
        #expect(error.extendedCode == 787)
        #expect(error.isForeignKeyViolation)
        #expect(error.message == "FOREIGN KEY constraint failed")
    }

    @Test func otherConstraintCodes() throws {
        let connection = try schema()
        let notNull = sqliteError { try connection.run("INSERT INTO communities (name) VALUES (NULL)") }
        #expect(notNull?.extendedResultCode == SQLiteError.constraintNotNull)
        let check = sqliteError { try connection.run("INSERT INTO posts (community_id, body) VALUES (1, '')") }
        #expect(check?.extendedResultCode == SQLiteError.constraintCheck)
        let primaryKey = sqliteError { try connection.run("INSERT INTO communities (id, name) VALUES (1, 'x')") }
        #expect(primaryKey?.extendedCode == 1555)
        #expect(primaryKey?.isUniqueViolation == true)
    }

    @Test func syntaxErrorsCarryTheSQL() throws {
        let connection = try schema()
        let error = sqliteError { _ = try connection.query("SELEC * FROM communities") }
        #expect(error?.code == 1)
        #expect(error?.message.contains("syntax error") == true)
        #expect(error?.sql == "SELEC * FROM communities")
        let missingTable = sqliteError { try connection.execute("DELETE FROM nowhere") }
        #expect(missingTable?.message == "no such table: nowhere")
    }

    @Test func codesMatchAsCatchPatterns() throws {
        let connection = try schema()
        var matched: [String] = []
        for name in ["tenders", "fresh"] {
            do {
                try connection.run("INSERT INTO communities (name) VALUES (?)", name)
                matched.append("inserted")
            } catch SQLiteError.constraintForeignKey {
                matched.append("foreign key")
            } catch SQLiteError.constraintUnique {
                matched.append("unique")
            }
        }
        do {
            try connection.run("INSERT INTO posts (community_id, body) VALUES (5, 'x')")
        } catch SQLiteError.constraint {
            // A primary code matches every extended code under it.
            matched.append("constraint")
        }
        #expect(matched == ["unique", "inserted", "constraint"])
        #expect(!(SQLiteError.busy ~= SQLiteError(.constraintUnique, message: "x")))
        #expect(!(SQLiteError.constraint ~= CancellationError()))
    }

    @Test func openingAMissingReadOnlyFileFails() throws {
        let error = sqliteError { _ = try Connection(path: "/nonexistent-dir/x.sqlite", readOnly: true) }
        #expect(error?.resultCode == SQLiteError.cantOpen)
        #expect(error?.message.contains("/nonexistent-dir/x.sqlite") == true)
    }

    @Test func writingThroughAReadOnlyConnectionFails() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("ro.sqlite")
            try Connection(path: path).execute("CREATE TABLE t (v)")
            let reader = try Connection(path: path, readOnly: true)
            let error = sqliteError { try reader.run("INSERT INTO t VALUES (1)") }
            #expect(error?.resultCode == SQLiteError.readOnly)
        }
    }
}
