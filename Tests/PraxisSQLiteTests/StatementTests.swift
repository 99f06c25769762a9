import PraxisSQLite
import Testing

@Suite struct StatementTests {
    private func connectionWithTable() throws -> Connection {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE people (id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INTEGER)")
        return connection
    }

    @Test func namedParametersBindWithOrWithoutPrefix() throws {
        let connection = try connectionWithTable()
        try connection.run("INSERT INTO people (name, age) VALUES (:name, :age)", named: ["name": "Ada", ":age": 36])
        try connection.run("INSERT INTO people (name, age) VALUES (@name, $age)", named: ["@name": "Bo", "age": 7])
        let rows = try connection.query("SELECT name, age FROM people WHERE age > :min ORDER BY age", named: ["min": 1])
        #expect(rows.map { try? $0.get("name", as: String.self) } == ["Bo", "Ada"])
        #expect(try connection.queryOne("SELECT name FROM people WHERE age = :age", named: ["age": 36])?.get("name") == "Ada")
    }

    @Test func sameNamedParameterUsedTwiceBindsOnce() throws {
        let connection = try Connection(path: ":memory:")
        let row = try #require(try connection.queryOne("SELECT :x + :x AS twice", named: ["x": 21]))
        #expect(try row.get("twice", as: Int.self) == 42)
    }

    @Test func missingOrUnknownNamedParametersAreErrors() throws {
        let connection = try connectionWithTable()
        let missing = sqliteError {
            try connection.run("INSERT INTO people (name, age) VALUES (:name, :age)", named: ["name": "Ada"])
        }
        #expect(missing?.resultCode == SQLiteError.range)
        #expect(missing?.message.contains(":age") == true)
        let unknown = sqliteError {
            try connection.run("INSERT INTO people (name) VALUES (:name)", named: ["name": "Ada", "nickname": "A"])
        }
        #expect(unknown?.message.contains("nickname") == true)
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM people") == 0)
    }

    @Test func wrongArgumentCountIsAnError() throws {
        let connection = try connectionWithTable()
        let error = sqliteError { try connection.run("INSERT INTO people (name, age) VALUES (?, ?)", "only one") }
        #expect(error?.resultCode == SQLiteError.range)
        #expect(error?.message == "statement expects 2 arguments, got 1")
        #expect(error?.sql == "INSERT INTO people (name, age) VALUES (?, ?)")
    }

    @Test func preparedStatementRunsManyTimesAndSteps() throws {
        let connection = try connectionWithTable()
        let insert = try connection.prepare("INSERT INTO people (name, age) VALUES (?, ?)")
        #expect(insert.parameterCount == 2)
        #expect(!insert.isReadOnly)
        for index in 0..<100 { try insert.run(["p\(index)", index]) }
        let select = try connection.prepare("SELECT name, age FROM people WHERE age < ? ORDER BY age")
        #expect(select.columnNames == ["name", "age"])
        try select.bind([3])
        var names: [String] = []
        while let row = try select.step() { names.append(try row.get("name")) }
        #expect(names == ["p0", "p1", "p2"])
        // After the last row the statement starts over with the same bindings.
        #expect(try select.step()?.get("name", as: String.self) == "p0")
        select.reset()
        #expect(try select.query([1]).count == 1)
    }

    @Test func severalStatementsAreRejectedOutsideExecute() throws {
        let connection = try connectionWithTable()
        let error = sqliteError {
            try connection.run("INSERT INTO people (name) VALUES ('a'); INSERT INTO people (name) VALUES ('b')")
        }
        #expect(error?.resultCode == SQLiteError.misuse)
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM people") == 0)
        // Trailing semicolons, whitespace and comments are fine.
        try connection.run("INSERT INTO people (name) VALUES ('a');  -- done\n ;")
        try connection.execute("INSERT INTO people (name) VALUES ('b'); INSERT INTO people (name) VALUES ('c');")
        #expect(try connection.scalar(Int.self, "SELECT count(*) FROM people") == 3)
        #expect(sqliteError { _ = try connection.prepare("  -- nothing here") }?.resultCode == SQLiteError.misuse)
    }

    @Test func cachedStatementsAreReusedAndResetCleanly() throws {
        let connection = try connectionWithTable()
        connection.clearStatementCache()
        for index in 0..<1000 { try connection.run("INSERT INTO people (name, age) VALUES (?, ?)", "n\(index)", index) }
        #expect(connection.cachedStatementCount == 1)
        // The cached statement keeps no stale binding or position between uses.
        #expect(try connection.queryOne("SELECT name FROM people WHERE age = ?", 5)?.get("name") == "n5")
        #expect(try connection.queryOne("SELECT name FROM people WHERE age = ?", 6)?.get("name") == "n6")
        #expect(sqliteError { _ = try connection.queryOne("SELECT name FROM people WHERE age = ?") } != nil)
        #expect(connection.cachedStatementCount == 2)
    }

    @Test func nestedUseOfTheSameCachedStatementIsSafe() throws {
        let connection = try connectionWithTable()
        for index in 1...3 { try connection.run("INSERT INTO people (name, age) VALUES (?, ?)", "n\(index)", index) }
        var seen: [String] = []
        let sql = "SELECT name, age FROM people WHERE age >= ? ORDER BY age"
        try connection.forEachRow(sql, arguments: [1]) { row in
            let age: Int = try row.get("age")
            let inner = try connection.query(sql, arguments: [age])
            seen.append("\(try row.get("name", as: String.self)):\(inner.count)")
        }
        #expect(seen == ["n1:3", "n2:2", "n3:1"])
    }

    @Test func cacheEvictsBeyondItsCapacity() throws {
        let connection = try Connection(path: ":memory:")
        for index in 0..<(Connection.statementCacheCapacity + 10) {
            #expect(try connection.scalar(Int.self, "SELECT \(index)") == index)
        }
        #expect(connection.cachedStatementCount == Connection.statementCacheCapacity)
    }

    @Test func statementOutlivingItsConnectionStillWorks() throws {
        var connection: Connection? = try Connection(path: ":memory:")
        let statement = try #require(connection).prepare("SELECT 40 + 2 AS answer")
        connection = nil
        #expect(try statement.step()?.get("answer", as: Int.self) == 42)
    }
}
