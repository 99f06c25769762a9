import Foundation
import PraxisJSON
import Testing
@testable import PraxisCrypto

/// RFC 8785 vectors (file Vectors/jcs-vectors.md): the RFC's own examples, the official test data
/// of cyberphone/json-canonicalization, Appendix B's number table and the ES6 number test file.
@Suite struct JCSTests {
    let file: VectorFile

    init() throws {
        file = try VectorFile("jcs-vectors")
    }

    func canonical(_ text: String) throws -> String {
        try JCS.canonicalString(JSON.parse(text))
    }

    /// Bytes written as hex pairs separated by spaces and line breaks.
    func hexBytes(_ text: String) throws -> [UInt8] {
        try Hex.decode(text.split(whereSeparator: { $0 == " " || $0 == "\n" }).joined())
    }

    @Test(arguments: ["arrays", "french", "structures", "unicode", "values", "weird"])
    func officialTestData(name: String) throws {
        let input = try file.block(after: "`testdata/input/\(name).json`")
        let output = try file.block(after: "`testdata/output/\(name).json`")
        let outhex = try hexBytes(file.block(after: "`testdata/outhex/\(name).txt`"))
        let bytes = try JCS.canonicalize(JSON.parse(input))
        #expect(bytes == Array(output.utf8))
        #expect(bytes == outhex)
        // Canonicalising canonical text changes nothing.
        #expect(try JCS.canonicalize(JSON.parse(bytes)) == bytes)
    }

    @Test func rfcSampleAndItsBytes() throws {
        let input = try file.block(after: "## RFC 8785 §3.2.2 sample input")
        let expected = try file.block(after: "Unwrapped (this is exactly")
        let bytes = try JCS.canonicalize(JSON.parse(input))
        #expect(String(decoding: bytes, as: UTF8.self) == expected)
        #expect(bytes == (try hexBytes(file.block(after: "## RFC 8785 §3.2.4 UTF-8 bytes"))))
    }

    @Test func rfcSortingOrderIsByUTF16CodeUnits() throws {
        let input = try file.block(after: "## RFC 8785 §3.2.3 sorting test")
        let expectedOrder = try file.block(after: "Expected order of the values after sorting")
            .split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        let canonical = try JSON.parse(JCS.canonicalize(JSON.parse(input)))
        let values = try #require(canonical.objectValue).values.map { "\"\($0.stringValue ?? "")\"" }
        #expect(values == expectedOrder)
        #expect(values.count == 7)
    }

    @Test func appendixBNumberTable() throws {
        let start = try #require(file.text.range(of: "## RFC 8785 Appendix B")).upperBound
        var rows = 0
        var errors = 0
        for line in file.text[start...].split(separator: "\n") {
            if line.hasPrefix("## ") { break }
            let cells = line.split(separator: "|", omittingEmptySubsequences: false).map {
                $0.trimmingCharacters(in: .whitespaces)
            }
            guard cells.count >= 4, cells[1].hasPrefix("`"), cells[1].count == 18 else { continue }
            let bits = try #require(UInt64(cells[1].dropFirst().dropLast(), radix: 16))
            let number = Double(bitPattern: bits)
            rows += 1
            if cells[2] == "(error)" {
                errors += 1
                #expect(throws: JCSError.self) { try JCS.serialize(number: number) }
                #expect(throws: JCSError.self) { try JCS.canonicalize(.array([.double(number)])) }
            } else {
                let expected = String(cells[2].dropFirst().dropLast())
                #expect(try JCS.serialize(number: number) == expected, "bits \(cells[1])")
                #expect(try JCS.canonicalString(.double(number)) == expected)
            }
        }
        #expect(rows == 26)
        #expect(errors == 2)
    }

    /// The lines of the ES6 number file printed in the vector file: `hex,expected`.
    func numberFileLines() throws -> [Substring] {
        try file.block(after: "## ES6 number test file").split(separator: "\n")
    }

    @Test func es6NumberFileFirstThousandLines() throws {
        let lines = try numberFileLines()
        #expect(lines.count == 1000)
        for line in lines {
            let parts = line.split(separator: ",")
            let bits = try #require(parts.count == 2 ? UInt64(parts[0], radix: 16) : nil, "bad line \(line)")
            #expect(try JCS.serialize(number: Double(bitPattern: bits)) == String(parts[1]), "line \(line)")
        }
    }

    /// Regenerates the official 100-million-line file's first 100,000 lines (its static values, 2,000
    /// serial values, then SHA-256-chained random doubles) and compares the published checksums.
    @Test func es6NumberFileChecksums() throws {
        let published = file.text.split(separator: "\n").compactMap { line -> (Int, String)? in
            let cells = line.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
            guard cells.count == 3, cells[0].count == 64, let count = Int(cells[1]) else { return nil }
            return (count, cells[0])
        }
        let lines = try numberFileLines()
        let serialStart = try #require(
            lines.indices.dropLast().first {
                lines[$0].hasPrefix("10000000000000,") && lines[$0 + 1].hasPrefix("10000000000001,")
            })
        var hasher = SHA256Hasher()
        var produced = 0
        var checked = 0
        func emit(_ bits: UInt64) throws {
            let line = String(bits, radix: 16) + "," + (try JCS.serialize(number: Double(bitPattern: bits))) + "\n"
            hasher.update(Array(line.utf8))
            produced += 1
            for (count, checksum) in published where count == produced {
                #expect(Hex.encode(hasher.finalize()) == checksum, "first \(count) lines")
                checked += 1
            }
        }
        for line in lines[..<serialStart] {
            try emit(try #require(UInt64(line.split(separator: ",")[0], radix: 16)))
        }
        for i in 0..<UInt64(2000) { try emit(0x0010_0000_0000_0000 + i) }
        var block = [UInt8](repeating: 0, count: 32)
        while produced < 100_000 {
            block = SHA256.hash(block)
            for j in 0..<4 where produced < 100_000 {
                var bits: UInt64 = 0
                for b in 0..<8 { bits |= UInt64(block[j * 8 + b]) << (8 * b) }
                let number = Double(bitPattern: bits)
                guard number != 0, number.isFinite else { continue }
                try emit(bits)
            }
        }
        #expect(checked == 3)
    }

    @Test func numbersFollowECMAScript() throws {
        let cases: [(Double, String)] = [
            (0, "0"), (-0.0, "0"), (1, "1"), (-1, "-1"), (56.0, "56"), (4.5, "4.5"), (0.002, "0.002"),
            (1e21, "1e+21"), (1e20, "100000000000000000000"), (123e20, "1.23e+22"), (1e-6, "0.000001"),
            (1e-7, "1e-7"), (1.5e-7, "1.5e-7"), (0.1 + 0.2, "0.30000000000000004"), (1e16, "10000000000000000"),
            (9_007_199_254_740_994, "9007199254740994"), (-71.184902, "-71.184902"), (25.273962, "25.273962"),
            (Double.greatestFiniteMagnitude, "1.7976931348623157e+308"), (Double.leastNonzeroMagnitude, "5e-324"),
        ]
        for (number, expected) in cases {
            #expect(try JCS.serialize(number: number) == expected, "\(number)")
        }
        for bad in [Double.nan, .infinity, -.infinity, .signalingNaN] {
            let error = try #require(throws: JCSError.self) { try JCS.serialize(number: bad) }
            #expect(error.kind == .nonFiniteNumber)
        }
        let nested = try #require(throws: JCSError.self) {
            try JCS.canonicalize(["a": .array([.object(["b": .double(.infinity)])])])
        }
        #expect(nested.kind == .nonFiniteNumber)
    }

    @Test func largeIntegersBecomeTheDoubleTheyRoundTo() throws {
        #expect(try JCS.canonicalString(.integer(9_007_199_254_740_992)) == "9007199254740992")
        #expect(try JCS.canonicalString(.integer(9_007_199_254_740_993)) == "9007199254740992")
        #expect(try JCS.canonicalString(.integer(-9_007_199_254_740_995)) == "-9007199254740996")
        #expect(try JCS.canonicalString(.integer(.max)) == "9223372036854776000")
        #expect(try JCS.canonicalString(.integer(.min)) == "-9223372036854776000")
        #expect(try JCS.canonicalString(.integer(-42)) == "-42")
        // The parser keeps big integers exact; canonicalisation must not.
        #expect(try canonical("[295147905179352825856, 18446744073709551615]") == "[295147905179352830000,18446744073709552000]")
        #expect(try canonical("[1.0, -0.0, 1E2, 0.5e1]") == "[1,0,100,5]")
    }

    @Test func stringEscapes() throws {
        let text = "\u{0}\u{1}\u{8}\u{9}\u{A}\u{B}\u{C}\u{D}\u{1F}\u{7F}\u{80}\"\\/<>&'é€😀"
        let expected = "\"\\u0000\\u0001\\b\\t\\n\\u000b\\f\\r\\u001f\u{7F}\u{80}\\\"\\\\/<>&'é€😀\""
        #expect(try JCS.canonicalString(.string(text)) == expected)
        #expect(try canonical(#""\u00e9\ud83d\ude00\/\u001F""#) == "\"é😀/\\u001f\"")
        #expect(try JCS.canonicalString(.string("")) == "\"\"")
        // Member names are escaped the same way.
        #expect(try JCS.canonicalString(["\n": .null]) == "{\"\\n\":null}")
    }

    @Test func structureAndLiterals() throws {
        #expect(try canonical(" [ ] ") == "[]")
        #expect(try canonical(" { } ") == "{}")
        #expect(try canonical("null") == "null")
        #expect(try canonical("[true , false,null]") == "[true,false,null]")
        #expect(try canonical(#"{"b":[{"z":1,"y":{"d":0,"c":0}}],"a":"x"}"#) == #"{"a":"x","b":[{"y":{"c":0,"d":0},"z":1}]}"#)
        // Member order in the JSON value does not matter; array order does.
        let one: JSON = ["a": 1, "b": 2]
        let two: JSON = ["b": 2, "a": 1]
        #expect(try JCS.canonicalize(one) == JCS.canonicalize(two))
        #expect(try JCS.canonicalize([1, 2]) != JCS.canonicalize([2, 1]))
    }

    @Test func utf16OrderDiffersFromCodePointOrder() throws {
        // U+1F600 is D83D DE00 in UTF-16, which sorts before U+FB33 although its code point is higher.
        let value: JSON = ["\u{FB33}": 1, "\u{1F600}": 2, "\u{E000}": 3, "a": 4]
        #expect(try JCS.canonicalString(value) == "{\"a\":4,\"\u{1F600}\":2,\"\u{E000}\":3,\"\u{FB33}\":1}")
    }

    @Test func nestingIsBounded() throws {
        func nested(_ depth: Int) -> JSON {
            var value: JSON = .null
            for _ in 0..<depth { value = .array([value]) }
            return value
        }
        #expect(try JCS.canonicalize(nested(JSONLimits.deepestSupportedNesting)).count == 2 * 1000 + 4)
        let error = try #require(throws: JCSError.self) { try JCS.canonicalize(nested(JSONLimits.deepestSupportedNesting + 1)) }
        #expect(error.kind == .tooDeep)
    }
}
