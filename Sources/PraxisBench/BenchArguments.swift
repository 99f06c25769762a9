/// The options after a benchmark's name, read one at a time.
struct BenchArguments {
    private var rest: ArraySlice<String>

    init(_ arguments: [String]) { rest = arguments[...] }

    /// The next option or value, if any.
    mutating func next() -> String? { rest.popFirst() }

    /// The value after `option`, a whole number within `range`.
    /// - Throws: `DeliveryBenchError` naming the option and the range.
    mutating func number(_ option: String, _ range: ClosedRange<Int>) throws -> Int {
        guard let text = rest.popFirst(), let n = Int(text), range.contains(n) else {
            throw DeliveryBenchError("\(option) needs a number from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}
