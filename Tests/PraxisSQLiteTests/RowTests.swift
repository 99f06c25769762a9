import PraxisSQLite
import Testing

@Suite struct RowTests {
    private func sampleRow() throws -> Row {
        let connection = try Connection(path: ":memory:")
        let row = try connection.queryOne(
            "SELECT 1 AS id, 'Ada' AS Name, NULL AS note, 2.5 AS score, x'0001' AS data, 1 AS id")
        return try #require(row)
    }

    @Test func subscriptsAndColumnNames() throws {
        let row = try sampleRow()
        #expect(row.columnNames == ["id", "Name", "note", "score", "data", "id"])
        #expect(row["id"] == .integer(1))
        #expect(row["name"] == .text("Ada"))  // SQL identifiers are case-insensitive
        #expect(row["note"] == .null)
        #expect(row[3] == .real(2.5))
        #expect(row[99] == .null)
        #expect(row[-1] == .null)
        #expect(row["missing"] == .null)
        #expect(row.hasColumn("NAME"))
        #expect(!row.hasColumn("missing"))
    }

    @Test func typedGetConvertsAndThrowsClearly() throws {
        let row = try sampleRow()
        #expect(try row.get("id", as: Int64.self) == 1)
        #expect(try row.get("score", as: Double.self) == 2.5)
        #expect(try row.get("data", as: [UInt8].self) == [0, 1])
        #expect(try row.get("note", as: String?.self) == nil)
        #expect(try row.get(1, as: String.self) == "Ada")

        let null = sqliteError { _ = try row.get("note", as: String.self) }
        #expect(null?.resultCode == SQLiteError.mismatch)
        #expect(null?.message == "column 'note' holds NULL, expected String")

        let mismatch = sqliteError { _ = try row.get("Name", as: Int.self) }
        #expect(mismatch?.message == "column 'Name' holds text value 'Ada', expected Int")

        let missing = sqliteError { _ = try row.get("nope", as: Int.self) }
        #expect(missing?.resultCode == SQLiteError.range)
        #expect(missing?.message.contains("no column 'nope'") == true)

        #expect(sqliteError { _ = try row.get(42, as: Int.self) }?.resultCode == SQLiteError.range)
    }

    @Test func optionalAccessors() throws {
        let row = try sampleRow()
        let name: String? = row.get("Name")
        let note: String? = row.get("note")
        let wrongType: Int? = row.get("Name")
        let missing: Int? = row.get("missing")
        #expect(name == "Ada")
        #expect(note == nil)
        #expect(wrongType == nil)
        #expect(missing == nil)

        #expect(try row.optional("note", as: String.self) == nil)
        #expect(try row.optional("Name", as: String.self) == "Ada")
        #expect(sqliteError { _ = try row.optional("Name", as: Int.self) }?.resultCode == SQLiteError.mismatch)
        #expect(sqliteError { _ = try row.optional("missing", as: Int.self) }?.resultCode == SQLiteError.range)
    }

    @Test func rowsAreIndependentValues() throws {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (v TEXT); INSERT INTO t VALUES ('a'), ('b')")
        let rows = try connection.query("SELECT v FROM t ORDER BY v")
        try connection.execute("DELETE FROM t")
        #expect(rows.map { $0["v"] } == [.text("a"), .text("b")])
        #expect(rows[0].description == "Row(v='a')")
    }
}
