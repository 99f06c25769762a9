import Testing

@testable import PraxisJSON

/// SplitMix64: a small seeded generator so every run checks the same values.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Builds random JSON values, bounded in depth and width.
struct RandomJSON {
    var rng: SeededGenerator

    /// Characters chosen to stress escaping and UTF-8: controls, quotes, backslash, slash,
    /// two-, three- and four-byte sequences, and the highest scalar.
    private static let interesting: [Unicode.Scalar] = [
        "\u{0}", "\u{1}", "\u{8}", "\t", "\n", "\u{C}", "\r", "\u{1F}", "\"", "\\", "/", " ", "a", "Z", "~",
        "\u{7F}", "\u{80}", "é", "ß", "\u{7FF}", "\u{800}", "中", "\u{FFFD}", "\u{FEFF}", "\u{FFFF}",
        "\u{10000}", "😀", "\u{10FFFF}",
    ]

    mutating func string() -> String {
        let length = Int.random(in: 0...12, using: &rng)
        var scalars = String.UnicodeScalarView()
        for _ in 0..<length {
            if Bool.random(using: &rng) {
                scalars.append(Self.interesting.randomElement(using: &rng)!)
            } else {
                // Any scalar value, skipping the surrogate range that cannot be a scalar.
                var value = UInt32.random(in: 0...0x10FFFF, using: &rng)
                if (0xD800...0xDFFF).contains(value) { value -= 0x800 }
                scalars.append(Unicode.Scalar(value)!)
            }
        }
        return String(scalars)
    }

    mutating func double() -> Double {
        switch Int.random(in: 0..<4, using: &rng) {
        case 0: return Double(Int.random(in: -1000...1000, using: &rng)) / 8
        case 1: return Double.random(in: -1e6...1e6, using: &rng)
        case 2:
            // Arbitrary finite bit patterns: subnormals, huge and tiny magnitudes.
            while true {
                let candidate = Double(bitPattern: rng.next())
                if candidate.isFinite { return candidate }
            }
        default: return [0.1, -0.0, 1e-7, 1e21, .leastNonzeroMagnitude, .greatestFiniteMagnitude, 9_007_199_254_740_992].randomElement(using: &rng)!
        }
    }

    mutating func value(depth: Int) -> JSON {
        let kinds = depth >= 4 ? 6 : 8
        switch Int.random(in: 0..<kinds, using: &rng) {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &rng))
        case 2:
            return Bool.random(using: &rng)
                ? .integer(Int64.random(in: -1000...1000, using: &rng))
                : .integer(Int64(bitPattern: rng.next()))
        case 3, 4: return .double(double())
        case 5: return .string(string())
        case 6: return .array((0..<Int.random(in: 0...5, using: &rng)).map { _ in value(depth: depth + 1) })
        default:
            var object = JSONObject()
            for _ in 0..<Int.random(in: 0...6, using: &rng) {
                object[string()] = value(depth: depth + 1)
            }
            return .object(object)
        }
    }
}

@Suite("Round trips of random values")
struct PropertyTests {
    @Test(arguments: [1, 2, 3, 42] as [UInt64])
    func serialiseThenParseGivesTheSameValue(seed: UInt64) throws {
        var random = RandomJSON(rng: SeededGenerator(seed: seed))
        for _ in 0..<300 {
            let value = random.value(depth: 0)
            let compact = value.serialized()
            let reparsed = try JSON.parse(compact)
            #expect(reparsed == value, "\(compact)")
            // Same text again means member order and number forms survived too.
            #expect(reparsed.serialized() == compact)
            #expect(try JSON.parse(value.serializedBytes(pretty: true)) == value)
            let sorted = try JSON.parse(value.serialized(sortedKeys: true))
            #expect(sorted == value)
            #expect(sorted.serialized(sortedKeys: true) == value.serialized(sortedKeys: true))
        }
    }

    @Test func truncatedDocumentsAreRefusedNotCrashed() throws {
        var random = RandomJSON(rng: SeededGenerator(seed: 7))
        for _ in 0..<60 {
            let bytes = random.value(depth: 0).serializedBytes()
            // Every proper prefix that is not itself a complete number must fail cleanly.
            for cut in 0..<bytes.count {
                do {
                    let value = try JSON.parse(bytes[..<cut])
                    #expect(value.isNumber, "prefix parsed: \(String(decoding: bytes[..<cut], as: UTF8.self))")
                } catch {
                    #expect(error.offset >= 0 && error.offset <= cut)
                }
            }
        }
    }

    @Test func randomBytesNeverCrash() {
        var rng = SeededGenerator(seed: 99)
        let alphabet = Array(#"{}[]:,"\ u0123456789abcdefEe+-.tfnrl/"#.utf8) + [0x00, 0x0A, 0x80, 0xC3, 0xA9, 0xED, 0xF0, 0xFF]
        for _ in 0..<20_000 {
            let length = Int.random(in: 0...24, using: &rng)
            let bytes = (0..<length).map { _ in alphabet.randomElement(using: &rng)! }
            if let value = try? JSON.parse(bytes) {
                // Whatever parses must serialise to something that parses to the same value.
                #expect((try? JSON.parse(value.serialized())) == value)
            }
        }
    }
}
