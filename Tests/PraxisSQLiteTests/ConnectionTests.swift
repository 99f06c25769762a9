import PraxisSQLite
import Testing

@Suite struct ConnectionTests {
    @Test func fileConnectionsUseWALNormalSyncAndForeignKeys() throws {
        try withTemporaryDirectory { directory in
            let connection = try Connection(path: directory.path("a.sqlite"))
            #expect(try connection.scalar(String.self, "PRAGMA journal_mode") == "wal")
            #expect(try connection.scalar(Int.self, "PRAGMA synchronous") == 1)  // NORMAL
            #expect(try connection.scalar(Int.self, "PRAGMA foreign_keys") == 1)
            #expect(try connection.scalar(Int.self, "PRAGMA busy_timeout") == 5000)
            let quick = try Connection(path: directory.path("a.sqlite"), busyTimeout: .milliseconds(250))
            #expect(try quick.scalar(Int.self, "PRAGMA busy_timeout") == 250)
        }
    }

    @Test func memoryConnectionsHaveForeignKeysToo() throws {
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar(Int.self, "PRAGMA foreign_keys") == 1)
        #expect(try connection.scalar(String.self, "PRAGMA journal_mode") == "memory")
    }

    @Test func fts5IsAvailable() throws {
        #expect(Connection.hasFTS5)
        #expect(Database.hasFTS5)
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE VIRTUAL TABLE docs USING fts5(body)")
        try connection.run("INSERT INTO docs (body) VALUES (?)", "framework agreement for laptops")
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM docs WHERE docs MATCH ?", "laptops") == 1)
    }

    @Test func lastInsertRowIDAndChanges() throws {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INTEGER)")
        try connection.run("INSERT INTO t (v) VALUES (?)", 10)
        #expect(connection.lastInsertRowID == 1)
        try connection.run("INSERT INTO t (id, v) VALUES (?, ?)", Int64.max, 20)
        #expect(connection.lastInsertRowID == Int64.max)
        try connection.run("UPDATE t SET v = v + 1")
        #expect(connection.changes == 2)
        #expect(connection.totalChanges == 4)
        #expect(try connection.scalar(Int.self, "SELECT v FROM t WHERE id = ?", 999) == nil)
        #expect(try connection.scalar(Int.self, "SELECT NULL") == nil)
        #expect(sqliteError { _ = try connection.scalar(Int.self, "SELECT 'x'") }?.sql == "SELECT 'x'")
        #expect(try connection.tableExists("t"))
        #expect(try !connection.tableExists("u"))
    }

    @Test func transactionCommitsOnReturnAndRollsBackOnThrow() throws {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (v INTEGER)")
        let value = try connection.transaction { () throws -> Int in
            #expect(connection.isInTransaction)
            try connection.run("INSERT INTO t VALUES (1)")
            return 7
        }
        #expect(value == 7)
        #expect(!connection.isInTransaction)
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (2)")
                throw Abort()
            }
        }
        #expect(!connection.isInTransaction)
        #expect(try connection.query("SELECT v FROM t").map { $0["v"] } == [.integer(1)])
    }

    @Test func innerRollbackKeepsOuterWork() throws {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (v INTEGER UNIQUE)")
        try connection.transaction {
            try connection.run("INSERT INTO t VALUES (1)")
            let inner = sqliteError {
                try connection.transaction {
                    try connection.run("INSERT INTO t VALUES (2)")
                    try connection.run("INSERT INTO t VALUES (1)")  // unique violation
                }
            }
            #expect(inner?.isUniqueViolation == true)
            #expect(connection.isInTransaction)
            // A second nested level that succeeds is kept.
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (3)")
                try connection.transaction { try connection.run("INSERT INTO t VALUES (4)") }
            }
        }
        let values = try connection.query("SELECT v FROM t ORDER BY v").map { try $0.get("v", as: Int.self) }
        #expect(values == [1, 3, 4])
    }

    @Test func outerRollbackDropsEverything() throws {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (v INTEGER)")
        struct Abort: Error {}
        #expect(throws: Abort.self) {
            try connection.transaction {
                try connection.run("INSERT INTO t VALUES (1)")
                try connection.transaction { try connection.run("INSERT INTO t VALUES (2)") }
                throw Abort()
            }
        }
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM t") == 0)
        #expect(!connection.isInTransaction)
    }

    @Test func topLevelTransactionTakesTheWriteLockUpFront() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("lock.sqlite")
            let first = try Connection(path: path)
            let second = try Connection(path: path, busyTimeout: .milliseconds(50))
            try first.execute("CREATE TABLE t (v)")
            try first.transaction {
                // BEGIN IMMEDIATE on the second connection cannot get the lock: busy, quickly.
                let error = sqliteError { try second.transaction { try second.run("INSERT INTO t VALUES (1)") } }
                #expect(error?.isBusy == true)
                #expect(!second.isInTransaction)
                try first.run("INSERT INTO t VALUES (2)")
            }
            #expect(try second.scalar(Int.self, "SELECT count(*) FROM t") == 1)
        }
    }

    @Test func readOnlyConnectionsUseDeferredTransactions() throws {
        try withTemporaryDirectory { directory in
            let path = directory.path("ro.sqlite")
            let writer = try Connection(path: path)
            try writer.execute("CREATE TABLE t (v); INSERT INTO t VALUES (1)")
            let reader = try Connection(path: path, readOnly: true)
            let count = try reader.transaction { try reader.scalar(Int.self, "SELECT count(*) FROM t") }
            #expect(count == 1)
            #expect(reader.isReadOnly)
        }
    }
}
