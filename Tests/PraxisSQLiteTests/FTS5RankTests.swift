import Foundation
import PraxisSQLite
import Testing

@Suite struct FTS5RankTests {
    /// A small index: titles, bodies and a filter column, with words of different frequencies.
    private func index() throws -> Connection {
        let db = try Connection(path: ":memory:")
        try db.execute("CREATE VIRTUAL TABLE t USING fts5(title, body, facets)")
        let rows = [
            ("Framework agreements", "how to run a framework agreement with several suppliers", "f1"),
            ("Notes", "the framework was discussed at length, the end", "f1"),
            ("Tender", "a tender for cleaning services and the framework", "f2"),
            ("Other", "nothing about that here, only the weather", "f2"),
            ("Framework", "framework framework", "f1"),
        ]
        for (title, body, facet) in rows {
            try db.run("INSERT INTO t (title, body, facets) VALUES (?, ?, ?)", title, body, facet)
        }
        return db
    }

    private func count(_ db: Connection, _ phrase: String) throws -> Int64 {
        try db.scalar(Int64.self, "SELECT count(*) FROM t WHERE t MATCH ?", phrase) ?? -1
    }

    @Test func givenTheTrueCountsItEqualsBM25() throws {
        let db = try index()
        for query in ["framework", "the framework", "framework tender*"] {
            let phrases = query.split(separator: " ").map(String.init)
            let counts = try phrases.map { try count(db, $0) }
            let arguments = counts.map { ", \($0)" }.joined()
            let rows = try db.query(
                "SELECT rowid, bm25(t, 10.0, 1.0, 0.0) AS builtin, praxis_rank(t, 10.0, 1.0, 0.0\(arguments)) AS ours "
                    + "FROM t WHERE t MATCH ? ORDER BY rowid", query)
            #expect(!rows.isEmpty)
            for row in rows {
                let builtin: Double = try row.get("builtin")
                let ours: Double = try row.get("ours")
                #expect(abs(builtin - ours) < 1e-9 * max(1, abs(builtin)), "\(query): \(builtin) vs \(ours)")
            }
        }
    }

    @Test func phrasesAfterTheCountedOnesDoNotScore() throws {
        let db = try index()
        let framework = try count(db, "framework")
        func ranks(_ expression: String) throws -> [Int64: Double] {
            var ranks: [Int64: Double] = [:]
            for row in try db.query(
                "SELECT rowid, praxis_rank(t, 10.0, 1.0, 0.0, \(framework)) AS r FROM t WHERE t MATCH ?", expression)
            {
                let rank: Double = try row.get("r")
                ranks[try row.get("rowid")] = rank
            }
            return ranks
        }
        let plain = try ranks("framework")
        let filtered = try ranks("framework AND facets : f1")
        #expect(Set(filtered.keys) == [1, 2, 5])
        for (rowid, rank) in filtered { #expect(rank == plain[rowid]) }
        // The title weighs ten times the body: the framework titles rank first.
        #expect(plain.sorted { $0.value < $1.value }.prefix(2).map(\.key).sorted() == [1, 5])
        #expect(plain.values.allSatisfy { $0 < 0 })
    }

    @Test func tooFewArgumentsIsAnErrorNotACrash() throws {
        let db = try index()
        #expect(throws: SQLiteError.self) {
            try db.query("SELECT praxis_rank(t, 1.0) FROM t WHERE t MATCH 'framework'")
        }
    }
}
