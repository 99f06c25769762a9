import Foundation
import PraxisSQLite
import Testing

/// Binding each `SQLBindable` type and reading it back, through a column without type affinity so
/// SQLite stores exactly what was bound.
@Suite struct SQLValueTests {
    private func roundTrip<T: SQLBindable & SQLColumnDecodable>(_ value: T) throws -> T {
        let connection = try Connection(path: ":memory:")
        try connection.execute("CREATE TABLE t (v)")
        try connection.run("INSERT INTO t (v) VALUES (?)", value)
        let row = try #require(try connection.queryOne("SELECT v FROM t"))
        return try row.get("v", as: T.self)
    }

    @Test func integersKeepTheirExtremes() throws {
        for value in [Int64.min, Int64.min + 1, -1, 0, 1, Int64.max - 1, Int64.max] {
            #expect(try roundTrip(value) == value)
        }
        for value in [Int.min, 0, Int.max] {
            #expect(try roundTrip(value) == value)
        }
        for value in [Int32.min, 0, Int32.max] {
            #expect(try roundTrip(value) == value)
        }
    }

    @Test func doublesRoundTrip() throws {
        for value in [0.0, -0.0, 1.5, -2.25e-300, Double.greatestFiniteMagnitude, -Double.infinity, .infinity, .pi] {
            #expect(try roundTrip(value) == value)
        }
        #expect(try roundTrip(-0.0).sign == .minus)
    }

    @Test func booleansAreStoredAsIntegers() throws {
        #expect(try roundTrip(true) == true)
        #expect(try roundTrip(false) == false)
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar(SQLValue.self, "SELECT ?", true) == .integer(1))
        #expect(try connection.scalar(Bool.self, "SELECT 7") == true)
    }

    @Test func stringsKeepUnicodeAndEmbeddedNUL() throws {
        let samples = [
            "", "plain", "marché public — appel d’offres", "公共采购", "🇪🇺👩🏽‍💼", "a\u{0}b\u{0}", "quote ' \" \\",
            String(repeating: "long ", count: 20_000),
        ]
        for value in samples {
            let back = try roundTrip(value)
            #expect(back == value)
            #expect(back.utf8.count == value.utf8.count)
        }
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar(Int.self, "SELECT length(CAST(? AS BLOB))", "a\u{0}b") == 3)
    }

    @Test func blobsKeepEveryByte() throws {
        let allBytes = [UInt8](0...255)
        for value in [[], [0], [0, 0, 0], allBytes, allBytes.reversed()] as [[UInt8]] {
            #expect(try roundTrip(value) == value)
        }
        #expect(try roundTrip(Data([0, 1, 0, 255])) == Data([0, 1, 0, 255]))
        // An empty blob is a blob, not NULL.
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar(String.self, "SELECT typeof(?)", [UInt8]()) == "blob")
        #expect(try connection.scalar(String.self, "SELECT typeof(?)", "") == "text")
    }

    @Test func optionalsBindNull() throws {
        let none: String? = nil
        #expect(try roundTrip(none) == nil)
        #expect(try roundTrip(Optional("x")) == "x")
        #expect(try roundTrip(Optional<Int64>.some(Int64.min)) == Int64.min)
        let connection = try Connection(path: ":memory:")
        #expect(try connection.scalar(String.self, "SELECT typeof(?)", none) == "null")
    }

    @Test func sqlValuesBindAsThemselves() throws {
        for value: SQLValue in [.null, .integer(-5), .real(2.5), .text("t"), .blob([1, 0, 2])] {
            #expect(try roundTrip(value) == value)
        }
    }

    @Test func decodingIsStrictAboutTypes() {
        #expect(Int.decode(from: .text("12")) == nil)
        #expect(Int.decode(from: .real(3.0)) == 3)
        #expect(Int.decode(from: .real(3.5)) == nil)
        #expect(Int32.decode(from: .integer(Int64(Int32.max) + 1)) == nil)
        #expect(Double.decode(from: .integer(4)) == 4.0)
        #expect(String.decode(from: .blob([65])) == nil)
        #expect([UInt8].decode(from: .text("A")) == nil)
        #expect(String?.decode(from: .null) == .some(nil))
        #expect(String?.decode(from: .integer(1)) == nil)
        #expect(Bool.decode(from: .null) == nil)
    }

    @Test func descriptionsAreSQLLiterals() {
        #expect(SQLValue.text("it's").description == "'it''s'")
        #expect(SQLValue.blob([0, 171]).description == "x'00ab'")
        #expect(SQLValue.null.description == "NULL")
    }
}
