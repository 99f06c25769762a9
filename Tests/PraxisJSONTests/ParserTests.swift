import Testing

@testable import PraxisJSON

/// Parses `text`, failing the test when it is refused.
func parsed(_ text: String, limits: JSONLimits = .default) throws -> JSON {
    try JSON.parse(text, limits: limits)
}

/// The error `bytes` is refused with, or nil when it parses.
func refusal(_ bytes: [UInt8], limits: JSONLimits = .default) -> JSONError? {
    do {
        _ = try JSON.parse(bytes, limits: limits)
        return nil
    } catch {
        return error
    }
}

func refusal(_ text: String, limits: JSONLimits = .default) -> JSONError? {
    refusal(Array(text.utf8), limits: limits)
}

@Suite("Parsing valid documents")
struct ParserAcceptanceTests {
    @Test func scalars() throws {
        #expect(try parsed("null") == .null)
        #expect(try parsed("true") == .bool(true))
        #expect(try parsed("false") == .bool(false))
        #expect(try parsed("0") == .integer(0))
        #expect(try parsed("-12") == .integer(-12))
        #expect(try parsed("\"hi\"") == .string("hi"))
        #expect(try parsed("\"\"") == .string(""))
    }

    @Test func containers() throws {
        #expect(try parsed("[]") == .array([]))
        #expect(try parsed("{}") == .object(JSONObject()))
        #expect(try parsed("[1,\"a\",null,true,[],{}]") == [1, "a", nil, true, [], [:]])
        let object = try parsed(#"{"a":{"b":[1,{"c":null}]}}"#)
        #expect(object["a"]?["b"]?[1]?["c"] == .null)
    }

    @Test func whitespaceAroundEveryToken() throws {
        let value = try parsed(" \t\r\n{ \"a\" :\n[ 1 ,\t2 ] , \"b\" : \"x\" }\n ")
        #expect(value == ["a": [1, 2], "b": "x"])
    }

    @Test func memberOrderIsPreserved() throws {
        let value = try parsed(#"{"zeta":1,"alpha":2,"mid":3,"@context":4}"#)
        #expect(value.objectValue?.keys == ["zeta", "alpha", "mid", "@context"])
        #expect(value.serialized() == #"{"zeta":1,"alpha":2,"mid":3,"@context":4}"#)
    }

    @Test func largeObjectsUseTheIndexCorrectly() throws {
        let members = (0..<500).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let value = try parsed("{\(members)}")
        #expect(value.objectValue?.count == 500)
        #expect(value["k0"] == 0)
        #expect(value["k499"] == 499)
        #expect(value["k500"] == nil)
        #expect(value.objectValue?.keys.first == "k0")
        #expect(refusal("{\(members),\"k250\":0}")?.kind == .duplicateKey)
    }

    @Test func numbers() throws {
        #expect(try parsed("9223372036854775807") == .integer(.max))
        #expect(try parsed("-9223372036854775808") == .integer(.min))
        // One beyond Int64 falls back to a double.
        guard case .double(let above) = try parsed("9223372036854775808") else {
            Issue.record("expected a double")
            return
        }
        #expect(above == 9_223_372_036_854_775_808.0)
        guard case .double = try parsed("-9223372036854775809") else {
            Issue.record("expected a double")
            return
        }
        // Beyond 2^53, integers stay exact.
        #expect(try parsed("9007199254740993") == .integer(9_007_199_254_740_993))
        #expect(try parsed("0.1") == .double(0.1))
        #expect(try parsed("1E2") == .double(100))
        #expect(try parsed("1e+2") == .double(100))
        #expect(try parsed("25e-1") == .double(2.5))
        #expect(try parsed("-0") == .integer(0))
        guard case .double(let negativeZero) = try parsed("-0.0") else {
            Issue.record("expected a double")
            return
        }
        #expect(negativeZero == 0 && negativeZero.sign == .minus)
        #expect(try parsed("1.7976931348623157e308") == .double(.greatestFiniteMagnitude))
        #expect(try parsed("5e-324") == .double(.leastNonzeroMagnitude))
        // Underflow rounds to zero, which is finite and therefore accepted.
        #expect(try parsed("1e-400") == .double(0))
        #expect(try parsed("123.456e-2") == .double(1.23456))
    }

    @Test func integerAndDoubleCasesAreDistinguished() throws {
        guard case .integer(3) = try parsed("3") else {
            Issue.record("3 should be an integer")
            return
        }
        guard case .double(3) = try parsed("3.0") else {
            Issue.record("3.0 should be a double")
            return
        }
    }

    @Test func stringEscapes() throws {
        #expect(try parsed(#""\"\\\/\b\f\n\r\t""#) == .string("\"\\/\u{8}\u{C}\n\r\t"))
        #expect(try parsed(#""\u0041\u00e9\u4E2D""#) == .string("Aé中"))
        #expect(try parsed(#""\u0000""#) == .string("\u{0}"))
        #expect(try parsed(#""\ud83d\ude00""#) == .string("😀"))
        #expect(try parsed(#""a\uD83D\uDE00b""#) == .string("a😀b"))
        #expect(try parsed(#""\uDBFF\uDFFF""#) == .string("\u{10FFFF}"))
    }

    @Test func rawUTF8() throws {
        #expect(try parsed("\"héllo wörld 中文 😀\"") == .string("héllo wörld 中文 😀"))
        #expect(try parsed("\"mixed \\n é 😀 \\u00e9\"") == .string("mixed \n é 😀 é"))
        #expect(try parsed("{\"clé\":\"valeur\"}")["clé"] == "valeur")
    }

    @Test func inputForms() throws {
        let text = #"{"a":[1,2]}"#
        let expected: JSON = ["a": [1, 2]]
        #expect(try JSON.parse(Array(text.utf8)) == expected)
        #expect(try JSON.parse(Array(text.utf8)[...]) == expected)
        // A collection without contiguous storage goes through the copying path.
        #expect(try JSON.parse(text.utf8.lazy.map { $0 }) == expected)
        #expect(try JSON.parse(text) == expected)
        #expect(try JSON.parse(Substring(text).utf8) == expected)
    }
}

@Suite("Refusing invalid documents")
struct ParserRejectionTests {
    /// Checks that `text` is refused with `kind`, at `offset`, with a message containing `phrase`.
    func expectRefused(
        _ text: String, _ kind: JSONError.Kind, at offset: Int, saying phrase: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        expectRefused(Array(text.utf8), kind, at: offset, saying: phrase, sourceLocation: sourceLocation)
    }

    func expectRefused(
        _ bytes: [UInt8], _ kind: JSONError.Kind, at offset: Int, saying phrase: String,
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        guard let error = refusal(bytes) else {
            Issue.record("accepted \(bytes)", sourceLocation: sourceLocation)
            return
        }
        #expect(error.kind == kind, "\(error)", sourceLocation: sourceLocation)
        #expect(error.offset == offset, "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.contains(phrase), "\(error)", sourceLocation: sourceLocation)
        #expect(error.message.hasSuffix("at byte \(offset)"), "\(error)", sourceLocation: sourceLocation)
        #expect(error.description == error.message, sourceLocation: sourceLocation)
    }

    @Test func emptyAndWhitespaceOnly() {
        expectRefused("", .syntax, at: 0, saying: "empty document")
        expectRefused("  \n", .syntax, at: 3, saying: "empty document")
    }

    @Test func trailingCommas() {
        expectRefused("[1,2,]", .syntax, at: 5, saying: "trailing comma before ']'")
        expectRefused(#"{"a":1,}"#, .syntax, at: 7, saying: "trailing comma before '}'")
        expectRefused("[,]", .syntax, at: 1, saying: "unexpected character ','")
        expectRefused("[1,,2]", .syntax, at: 3, saying: "expected a value")
        expectRefused(#"[1,{"a":]}"#, .syntax, at: 8, saying: "unexpected character ']', expected a value")
        expectRefused("[1,[]]]", .syntax, at: 6, saying: "unexpected character ']'")
    }

    @Test func comments() {
        expectRefused("// hi\n1", .syntax, at: 0, saying: "comments are not allowed")
        expectRefused("[1 /* x */]", .syntax, at: 3, saying: "comments are not allowed")
    }

    @Test func leadingZeros() {
        expectRefused("01", .syntax, at: 0, saying: "leading zeros")
        expectRefused("[-007]", .syntax, at: 1, saying: "leading zeros")
    }

    @Test func malformedNumbers() {
        expectRefused("-", .syntax, at: 1, saying: "expected a digit after '-'")
        expectRefused("1.", .syntax, at: 2, saying: "expected a digit after the decimal point")
        expectRefused("1.e5", .syntax, at: 2, saying: "expected a digit after the decimal point")
        expectRefused("1e", .syntax, at: 2, saying: "expected a digit in the exponent")
        expectRefused("1e+", .syntax, at: 3, saying: "expected a digit in the exponent")
        expectRefused(".5", .syntax, at: 0, saying: "unexpected character '.'")
        expectRefused("+1", .syntax, at: 0, saying: "unexpected character '+'")
        expectRefused("0x10", .syntax, at: 1, saying: "unexpected character 'x'")
    }

    @Test func nanAndInfinity() {
        expectRefused("NaN", .syntax, at: 0, saying: "NaN and Infinity are not JSON numbers")
        expectRefused("[Infinity]", .syntax, at: 1, saying: "NaN and Infinity")
        expectRefused("-Infinity", .syntax, at: 1, saying: "Infinity is not a JSON number")
    }

    @Test func numberOverflow() {
        expectRefused("1e400", .numberOutOfRange, at: 0, saying: "too large")
        expectRefused("[0, -1.5e309]", .numberOutOfRange, at: 4, saying: "too large")
        let hugeInteger = String(repeating: "9", count: 400)
        expectRefused(hugeInteger, .numberOutOfRange, at: 0, saying: "too large")
    }

    @Test func literals() {
        expectRefused("tru", .syntax, at: 3, saying: "unexpected end of input in 'true'")
        expectRefused("nul", .syntax, at: 3, saying: "'null'")
        expectRefused("trUe", .syntax, at: 2, saying: "unexpected character 'U', expected 'true'")
        expectRefused("False", .syntax, at: 0, saying: "unexpected character 'F'")
        expectRefused("undefined", .syntax, at: 0, saying: "unexpected character 'u'")
    }

    @Test func controlCharactersInStrings() {
        expectRefused("\"a\nb\"", .syntax, at: 2, saying: "control character U+000A must be escaped")
        expectRefused("\"\\n\u{1}\"", .syntax, at: 3, saying: "control character U+0001")
        expectRefused([0x22, 0x00, 0x22], .syntax, at: 1, saying: "control character U+0000")
    }

    @Test func invalidEscapes() {
        expectRefused(#""\x41""#, .syntax, at: 1, saying: "invalid escape sequence 'x'")
        expectRefused(#""\'""#, .syntax, at: 1, saying: "invalid escape sequence")
        expectRefused(#""\u12G4""#, .syntax, at: 5, saying: "invalid hexadecimal digit 'G'")
        expectRefused(#""\u12"#, .syntax, at: 1, saying: "incomplete \\u escape")
        expectRefused(#""abc\"#, .syntax, at: 4, saying: "unterminated string")
        expectRefused(#""abc"#, .syntax, at: 0, saying: "unterminated string")
        expectRefused(#"["a\"]"#, .syntax, at: 1, saying: "unterminated string")
    }

    @Test func loneSurrogates() {
        expectRefused(#""\ud83d""#, .syntax, at: 1, saying: "lone surrogate \\uD83D")
        expectRefused(#""\ud83dx""#, .syntax, at: 1, saying: "lone surrogate")
        expectRefused(#""\ude00""#, .syntax, at: 1, saying: "low surrogate without a high one")
        expectRefused(#""\ud83d\u0041""#, .syntax, at: 1, saying: "followed by \\u0041")
        expectRefused(#""\ud83d\ud83d""#, .syntax, at: 1, saying: "lone surrogate")
        expectRefused(#""x\ud83d\n""#, .syntax, at: 2, saying: "lone surrogate")
    }

    @Test func invalidUTF8() {
        let quote: UInt8 = 0x22
        expectRefused([quote, 0xFF, quote], .invalidUTF8, at: 1, saying: "invalid UTF-8 byte 0xFF")
        expectRefused([quote, 0x80, quote], .invalidUTF8, at: 1, saying: "invalid UTF-8 byte 0x80")
        // Overlong encoding of '/'.
        expectRefused([quote, 0xC0, 0xAF, quote], .invalidUTF8, at: 1, saying: "0xC0")
        expectRefused([quote, 0xE0, 0x80, 0xAF, quote], .invalidUTF8, at: 1, saying: "0xE0")
        // An encoded surrogate, U+D800.
        expectRefused([quote, 0x61, 0xED, 0xA0, 0x80, quote], .invalidUTF8, at: 2, saying: "0xED")
        // Above U+10FFFF.
        expectRefused([quote, 0xF4, 0x90, 0x80, 0x80, quote], .invalidUTF8, at: 1, saying: "0xF4")
        expectRefused([quote, 0xF5, 0x80, 0x80, 0x80, quote], .invalidUTF8, at: 1, saying: "0xF5")
        // Bad continuation byte, and truncated at the end of input.
        expectRefused([quote, 0xE4, 0xB8, 0x41, quote], .invalidUTF8, at: 1, saying: "0xE4")
        expectRefused([quote, 0xF0, 0x9F, 0x98], .invalidUTF8, at: 1, saying: "truncated UTF-8 sequence")
        // Also after an escape (slow path) and outside strings.
        expectRefused([quote, 0x5C, 0x6E, 0xFF, quote], .invalidUTF8, at: 3, saying: "0xFF")
        expectRefused([0x5B, 0xFF, 0x5D], .invalidUTF8, at: 1, saying: "invalid UTF-8 byte 0xFF")
        // Valid UTF-8 outside a string is still not JSON.
        expectRefused(Array("[é]".utf8), .syntax, at: 1, saying: "unexpected byte 0xC3")
    }

    @Test func byteOrderMark() {
        expectRefused([0xEF, 0xBB, 0xBF] + Array("{}".utf8), .syntax, at: 0, saying: "byte order mark")
    }

    @Test func duplicateKeys() {
        expectRefused(#"{"a":1,"b":2,"a":3}"#, .duplicateKey, at: 13, saying: "duplicate member name \"a\"")
        // Equal after unescaping is still a duplicate.
        expectRefused(#"{"a":1,"\u0061":2}"#, .duplicateKey, at: 7, saying: "duplicate member name")
        // The same key in different objects is fine.
        #expect(refusal(#"{"a":{"a":1},"b":{"a":2}}"#) == nil)
    }

    @Test func trailingGarbage() {
        expectRefused("{} x", .syntax, at: 3, saying: "expected end of input after the value")
        expectRefused("1 2", .syntax, at: 2, saying: "unexpected character '2'")
        expectRefused("[1]]", .syntax, at: 3, saying: "unexpected character ']'")
        expectRefused("nullnull", .syntax, at: 4, saying: "unexpected character 'n'")
        expectRefused([0x31, 0x00], .syntax, at: 1, saying: "byte 0x00")
        #expect(refusal("  [1]  \n\t\r ") == nil)
    }

    @Test func structuralErrors() {
        expectRefused("[1", .syntax, at: 2, saying: "unexpected end of input in an array")
        expectRefused("[1 2]", .syntax, at: 3, saying: "expected ',' or ']'")
        expectRefused(#"{"a" 1}"#, .syntax, at: 5, saying: "expected ':'")
        expectRefused(#"{"a":1 "b":2}"#, .syntax, at: 7, saying: "expected ',' or '}'")
        expectRefused("{a:1}", .syntax, at: 1, saying: "expected a member name in double quotes")
        expectRefused("{'a':1}", .syntax, at: 1, saying: "unexpected character '''")
        expectRefused(#"{"a":}"#, .syntax, at: 5, saying: "expected a value")
        expectRefused(#"{"a""#, .syntax, at: 4, saying: "unexpected end of input")
        expectRefused("{", .syntax, at: 1, saying: "expected a member name")
        expectRefused("[", .syntax, at: 1, saying: "unexpected end of input, expected a value")
        expectRefused("]", .syntax, at: 0, saying: "unexpected character ']'")
    }
}

@Suite("Limits")
struct ParserLimitTests {
    @Test func deepNestingIsRefusedWithoutCrashing() {
        let deep = [UInt8](repeating: UInt8(ascii: "["), count: 100_000)
        let error = refusal(deep)
        #expect(error?.kind == .limitExceeded)
        #expect(error?.offset == 64)
        #expect(error?.message == "nesting deeper than 64 levels at byte 64")

        let objects = String(repeating: #"{"a":"#, count: 100_000)
        #expect(refusal(objects)?.message.contains("nesting deeper than 64 levels") == true)

        // Even with the depth limit switched off the parser does not recurse.
        var noDepthLimit = JSONLimits.unlimited
        noDepthLimit.maxDepth = .max
        let unterminated = refusal(deep, limits: noDepthLimit)
        #expect(unterminated?.kind == .syntax)
        #expect(unterminated?.offset == 100_000)
    }

    @Test func depthLimitIsExact() throws {
        let limits = JSONLimits(maxDepth: 3)
        #expect(try parsed("[[[]]]", limits: limits) == [[[]]])
        #expect(try parsed(#"[{"a":[1]}]"#, limits: limits) == [["a": [1]]])
        #expect(refusal("[[[[]]]]", limits: limits)?.offset == 3)
        #expect(refusal(#"{"a":{"b":{"c":{}}}}"#, limits: limits)?.kind == .limitExceeded)
        #expect(try parsed("1", limits: JSONLimits(maxDepth: 0)) == 1)
        #expect(refusal("[]", limits: JSONLimits(maxDepth: 0))?.kind == .limitExceeded)
    }

    @Test func defaultDepthAllowsSixtyFourLevels() throws {
        let ok = String(repeating: "[", count: 64) + String(repeating: "]", count: 64)
        #expect(refusal(ok) == nil)
        let tooDeep = "[" + ok + "]"
        #expect(refusal(tooDeep)?.kind == .limitExceeded)
    }

    @Test func unlimitedParsesItsSupportedDepth() throws {
        let depth = JSONLimits.deepestSupportedNesting
        let text = String(repeating: "[", count: depth) + String(repeating: "]", count: depth)
        let value = try parsed(text, limits: .unlimited)
        #expect(value.serialized() == text)
        #expect(value == (try parsed(text, limits: .unlimited)))
    }

    @Test func documentSize() throws {
        let limits = JSONLimits(maxBytes: 10)
        #expect(try parsed("[1,2,3,4]", limits: limits) == [1, 2, 3, 4])
        let error = refusal("[1,2,3,4,5]", limits: limits)
        #expect(error?.kind == .limitExceeded)
        #expect(error?.message == "document is larger than 10 bytes at byte 10")
        // The non-contiguous path checks size before copying.
        #expect(throws: JSONError.self) { try JSON.parse("[1,2,3,4,5]".utf8.lazy.map { $0 }, limits: limits) }
        #expect(JSONLimits.default.maxBytes == 1_048_576)
    }

    @Test func stringLength() throws {
        let limits = JSONLimits(maxStringBytes: 4)
        #expect(try parsed(#"["abcd","ñé"]"#, limits: limits) == ["abcd", "ñé"])
        #expect(try parsed(#""\u00e9\u00e9""#, limits: limits) == "éé")
        let plain = refusal(#"["abcde"]"#, limits: limits)
        #expect(plain?.kind == .limitExceeded)
        #expect(plain?.offset == 1)
        #expect(plain?.message == "string is longer than 4 bytes at byte 1")
        #expect(refusal(#""ab\ncd""#, limits: limits)?.kind == .limitExceeded)
        #expect(refusal(#"{"abcdef":1}"#, limits: limits)?.kind == .limitExceeded)
        // Counted after unescaping: six escapes decode to six bytes.
        #expect(refusal(#""\u0041\u0041\u0041\u0041\u0041""#, limits: limits)?.kind == .limitExceeded)
        #expect(refusal("\"😀é\"", limits: limits)?.kind == .limitExceeded)
    }

    @Test func containerElements() throws {
        let limits = JSONLimits(maxContainerElements: 3)
        #expect(try parsed("[1,2,3]", limits: limits) == [1, 2, 3])
        #expect(try parsed(#"{"a":1,"b":2,"c":3}"#, limits: limits).objectValue?.count == 3)
        let array = refusal("[1,2,3,4]", limits: limits)
        #expect(array?.kind == .limitExceeded)
        #expect(array?.message == "container has more than 3 elements at byte 7")
        #expect(refusal(#"{"a":1,"b":2,"c":3,"d":4}"#, limits: limits)?.kind == .limitExceeded)
        #expect(refusal("[[1,2,3,4]]", limits: limits)?.kind == .limitExceeded)
    }
}
