import CSQLite
import Foundation

/// `praxis_rank(table, weight…, frequency…)`: FTS5's BM25 (k1 = 1.2, b = 0.75) with column
/// weights, scoring only the query's first phrases and taking their document frequencies from
/// the caller, registered on every connection.
///
/// The built-in `bm25()` counts, once per query, every row matching each phrase of the query to
/// weigh rare words above common ones: at a million posts that walk through the 300,000 rows
/// holding "the", or the 450,000 questions of a facet filter, cost more than the rest of the
/// search together. Here the caller passes the counts (kept for a while, see the search index),
/// and phrases after the counted ones (filters) do not score at all.
///
/// Arguments after the table: one weight per column, then one document frequency per scored
/// phrase, in the order the phrases appear in the MATCH expression. Like `bm25()`, better
/// matches get lower (more negative) values, so `ORDER BY` it ascending.
enum FTS5Rank {
    static let name = "praxis_rank"
    static let k1 = 1.2
    static let b = 0.75

    /// Registers the function on `db`; false when the library has no FTS5.
    static func register(on db: OpaquePointer) -> Bool {
        praxis_fts5_create_function(db, name, function) == SQLITE_OK
    }

    static let function: fts5_extension_function = { api, fts, context, argc, argv in
        guard let api = api?.pointee, let fts, let argv else { return }
        let columns = Int(api.xColumnCount(fts))
        let scored = Int(argc) - columns
        guard scored >= 0 else {
            sqlite3_result_error(context, "praxis_rank needs one weight per column", -1)
            return
        }
        var rows: Int64 = 0
        var totalTokens: Int64 = 0
        var length: Int32 = 0
        var instances: Int32 = 0
        guard api.xRowCount(fts, &rows) == SQLITE_OK, api.xColumnTotalSize(fts, -1, &totalTokens) == SQLITE_OK,
            api.xColumnSize(fts, -1, &length) == SQLITE_OK, api.xInstCount(fts, &instances) == SQLITE_OK
        else {
            sqlite3_result_error(context, "praxis_rank could not read the row's statistics", -1)
            return
        }
        let average = Double(totalTokens) / Double(max(rows, 1))
        let lengthFactor = k1 * (1 - b + b * Double(length) / max(average, 1))
        let score = withUnsafeTemporaryAllocation(of: Double.self, capacity: max(scored, 1)) { frequencies -> Double in
            frequencies.initialize(repeating: 0)
            for index in 0..<instances {
                var phrase: Int32 = 0
                var column: Int32 = 0
                var offset: Int32 = 0
                guard api.xInst(fts, index, &phrase, &column, &offset) == SQLITE_OK else { continue }
                guard Int(phrase) < scored, Int(column) < columns else { continue }
                frequencies[Int(phrase)] += sqlite3_value_double(argv[Int(column)])
            }
            var score = 0.0
            for phrase in 0..<scored where frequencies[phrase] > 0 {
                let matching = Double(max(0, sqlite3_value_int64(argv[columns + phrase])))
                // FTS5's bm25 floors the IDF of very common words at a small positive value.
                let idf = max(log((Double(rows) - matching + 0.5) / (matching + 0.5)), 1e-6)
                let tf = frequencies[phrase]
                score += idf * tf * (k1 + 1) / (tf + lengthFactor)
            }
            return score
        }
        sqlite3_result_double(context, -score)
    }
}
