import Testing
@testable import PraxisCrypto

/// RFC 8941 parsing and serialisation, with cases in the style of the httpwg structured-field-tests.
@Suite struct StructuredFieldTests {
    typealias SF = StructuredFields

    @Test func items() throws {
        #expect(try SF.parseItem("42").bareItem == .integer(42))
        #expect(try SF.parseItem("-42").bareItem == .integer(-42))
        #expect(try SF.parseItem("  42").bareItem == .integer(42))
        #expect(try SF.parseItem("999999999999999").bareItem == .integer(999_999_999_999_999))
        #expect(try SF.parseItem("-999999999999999").bareItem == .integer(-999_999_999_999_999))
        #expect(try SF.parseItem("1.5").bareItem == .decimal(SF.Decimal(thousandths: 1500)))
        #expect(try SF.parseItem("-0.125").bareItem == .decimal(SF.Decimal(thousandths: -125)))
        #expect(try SF.parseItem("123456789012.123").bareItem == .decimal(SF.Decimal(thousandths: 123_456_789_012_123)))
        #expect(try SF.parseItem(#""hello \"world\" \\ ""#).bareItem == .string(#"hello "world" \ "#))
        #expect(try SF.parseItem("foo123/456:7").bareItem == .token("foo123/456:7"))
        #expect(try SF.parseItem("*foo").bareItem == .token("*foo"))
        #expect(try SF.parseItem(":aGVsbG8=:").bareItem == .byteSequence(Array("hello".utf8)))
        #expect(try SF.parseItem("::").bareItem == .byteSequence([]))
        #expect(try SF.parseItem("?1").bareItem == .boolean(true))
        #expect(try SF.parseItem("?0").bareItem == .boolean(false))
        let withParameters = try SF.parseItem("text/html;q=0.5;level;  charset=\"utf-8\"")
        #expect(withParameters.bareItem == .token("text/html"))
        #expect(withParameters.parameters.keys == ["q", "level", "charset"])
        #expect(withParameters.parameters["level"] == .boolean(true))
        #expect(try SF.serialize(withParameters) == #"text/html;q=0.5;level;charset="utf-8""#)
    }

    @Test func lenientBase64AsRFC8941Asks() throws {
        // Recipients SHOULD NOT fail on missing padding or non-zero pad bits (section 4.2.7).
        #expect(try SF.parseItem(":aGVsbG8:").bareItem == .byteSequence(Array("hello".utf8)))
        #expect(try SF.parseItem(":aGVsbG9=:").bareItem == .byteSequence(Array("hello".utf8)))
    }

    @Test(arguments: [
        "", "   ", "1 2", "1,", "--1", "-", "1.", "1.1234", "1234567890123.1", "1000000000000000", "-1000000000000000",
        "\"unterminated", "\"bad \\escape\"", "\"tab\there\"", "\"caf\u{e9}\"", "\u{e9}t\u{e9}", "foo bar",
        ":aGVsbG8=", ":aGVs!G8=:", ":a=GVsbG8:", "?", "?2", "?yes", "a;", "a;=1", "a;A=1", "a;1a=1", "(1 2", "(1,2)",
        "=1", "#token", "1;a=?", ":a:",
    ])
    func rejectsInvalidItems(input: String) {
        #expect(throws: StructuredFieldError.self, "'\(input)' should not parse") { try SF.parseItem(input) }
    }

    @Test func lists() throws {
        let list = try SF.parseList("sugar, tea, rum;x=1, (\"foo\" \"bar\");lvl=5, ()")
        #expect(list.count == 5)
        #expect(list[0] == .item(SF.Item(.token("sugar"))))
        #expect(list[3] == .innerList(SF.InnerList([SF.Item(.string("foo")), SF.Item(.string("bar"))], parameters: SF.Parameters([("lvl", .integer(5))]))))
        #expect(list[4] == .innerList(SF.InnerList([])))
        #expect(try SF.serialize(list) == "sugar, tea, rum;x=1, (\"foo\" \"bar\");lvl=5, ()")
        #expect(try SF.parseList("").isEmpty)
        #expect(try SF.parseList("a,\tb").count == 2)
        #expect(try SF.serialize(SF.parseList("( 1  2 )")) == "(1 2)")
        for bad in ["a,", ",a", "a,,b", "a b", "(a b", "(a)b", "a, ", "(1)(2)"] {
            #expect(throws: StructuredFieldError.self, "'\(bad)' should not parse") { try SF.parseList(bad) }
        }
    }

    @Test func dictionaries() throws {
        let dictionary = try SF.parseDictionary("a=1, b;x=?0, c=(1 2), d=?0, *e=\"s\"")
        #expect(dictionary.keys == ["a", "b", "c", "d", "*e"])
        #expect(dictionary["b"] == .item(SF.Item(.boolean(true), parameters: SF.Parameters([("x", .boolean(false))]))))
        #expect(try SF.serialize(dictionary) == "a=1, b;x=?0, c=(1 2), d=?0, *e=\"s\"")
        #expect(try SF.parseDictionary("").isEmpty)
        for bad in ["A=1", "a=1,", "a=1 b=2", "1a=1", "a=", "a=1;", "a=(1", "a=1, ,b=2", "é=1"] {
            #expect(throws: StructuredFieldError.self, "'\(bad)' should not parse") { try SF.parseDictionary(bad) }
        }
    }

    @Test func duplicateKeysKeepFirstPositionAndLastValue() throws {
        // RFC 8941 section 4.2.2 / 4.2.3.2: a repeated key overwrites the value in place.
        let dictionary = try SF.parseDictionary("a=1, b=2, a=3")
        #expect(dictionary.keys == ["a", "b"])
        #expect(dictionary["a"] == .item(SF.Item(.integer(3))))
        #expect(try SF.serialize(dictionary) == "a=3, b=2")
        let item = try SF.parseItem("x;p=1;q=2;p=3")
        #expect(item.parameters.keys == ["p", "q"])
        #expect(item.parameters["p"] == .integer(3))

        // Past the small-map threshold the index takes over; semantics are the same.
        let many = (0..<40).map { "k\($0)=\($0)" }.joined(separator: ", ") + ", k5=99"
        let big = try SF.parseDictionary(many)
        #expect(big.count == 40)
        #expect(big.keys[5] == "k5")
        #expect(big["k5"] == .item(SF.Item(.integer(99))))
        var edited = big
        edited["k0"] = nil
        #expect(edited.count == 39)
        #expect(edited["k39"] == .item(SF.Item(.integer(39))))
        #expect(edited["k0"] == nil)
    }

    @Test func sizeLimit() throws {
        let long = String(repeating: "a", count: 20_000)
        #expect(throws: StructuredFieldError.self) { try SF.parseItem(long) }
        #expect(try SF.parseItem(long, maximumLength: 30_000).bareItem == .token(long))
        // Linear, not quadratic: a large legal dictionary parses (and within the limit).
        let members = (0..<1000).map { "k\($0)=\($0)" }.joined(separator: ",")
        #expect(try SF.parseDictionary(members, maximumLength: 100_000).count == 1000)
    }

    @Test func serialisation() throws {
        #expect(try SF.serialize(SF.BareItem.decimal(try #require(SF.Decimal(1.0)))) == "1.0")
        #expect(try SF.serialize(SF.BareItem.decimal(try #require(SF.Decimal(-12.3456)))) == "-12.346")
        #expect(try SF.serialize(SF.BareItem.decimal(try #require(SF.Decimal(1.0625)))) == "1.062")  // ties to even
        #expect(SF.Decimal(1e13) == nil)
        #expect(try SF.serialize(SF.BareItem.string("a\"b\\c")) == #""a\"b\\c""#)
        #expect(try SF.serialize(SF.BareItem.byteSequence([0xFF, 0x00])) == ":/wA=:")
        #expect(try SF.serialize(SF.BareItem.boolean(false)) == "?0")
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.BareItem.integer(1_000_000_000_000_000)) }
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.BareItem.string("caf\u{e9}")) }
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.BareItem.string("line\nbreak")) }
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.BareItem.token("1abc")) }
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.BareItem.token("a b")) }
        #expect(throws: StructuredFieldError.self) { try SF.serialize(SF.Dictionary([("Upper", .item(SF.Item(.integer(1))))])) }
        #expect(throws: StructuredFieldError.self) {
            try SF.serialize(SF.Item(.integer(1), parameters: SF.Parameters([("", .integer(1))])))
        }
        // Round trip of a real Signature-Input.
        let input = #"sig1=("@method" "@target-uri" "content-digest");created=1618884473;keyid="https://a.example/actor#main-key";alg="ed25519""#
        #expect(try SF.serialize(SF.parseDictionary(input)) == input)
    }

    @Test func errorsCarryOffsets() {
        do {
            _ = try SF.parseItem("\"abc")
            Issue.record("should fail")
        } catch let error as StructuredFieldError {
            #expect(error.message.contains("terminated"))
            #expect(error.offset == 4)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }
}

/// A parsed inner list keeps its text only when that text is its serialisation, and serialising
/// it then copies the text (RFC 9421 serialises `@signature-params` again on every request).
@Suite struct InnerListParsedTextTests {
    typealias SF = StructuredFields

    /// The serialisation a list gets without the kept text.
    static func canonical(_ list: SF.InnerList) throws -> String {
        var copy = list
        let items = copy.items
        copy.items = items  // any change drops the kept text
        #expect(copy.parsedText == nil)
        return try SF.serialize(copy)
    }

    static func innerList(_ text: String) throws -> SF.InnerList {
        guard case .innerList(let list)? = try SF.parseDictionary("sig1=" + text)["sig1"] else {
            Issue.record("\(text) is not an inner list")
            return SF.InnerList([])
        }
        return list
    }

    @Test(arguments: [
        #"("@method" "@target-uri" "content-digest");created=1618884473;keyid="test-key-ed25519";alg="ed25519""#,
        #"("@query-param";name="Pet" "@method");nonce="b3k2pp5k7z-50gnwp.yemd""#,
        #"();created=0;expires=-5;tag="a\"b\\c""#,
        #"(tok/en "x");flag;other=?0;n=10"#,
        #"("a";sf "b";key="x";bs)"#,
    ])
    func canonicalTextIsKept(_ text: String) throws {
        let list = try Self.innerList(text)
        #expect(list.parsedText == text)
        #expect(try SF.serialize(list) == text)
        #expect(try Self.canonical(list) == text)
    }

    @Test(arguments: [
        #"( "@method")"#, #"("@method" )"#, #"("@method"  "@path")"#, #"("@method");  created=1"#,
        #"("@method"); created=1"#, #"("@method");created=01"#, #"("@method");created=-0"#,
        #"("@method");created=1.5"#, #"("@method");created=1.50"#, #"("@method");flag=?1"#,
        #"("@method");a=1;a=2"#, #"("@method";x=?1)"#, #"("@method");b=:aGVsbG8:"#, #"(:aGVsbG8=:)"#,
        #"("@method" "x";a=1;a=1)"#, #"(007)"#,
    ])
    func otherwiseTheSerialisationIsCanonical(_ text: String) throws {
        let list = try Self.innerList(text)
        #expect(list.parsedText == nil, "\(text) is not canonical and must not be kept")
        #expect(try SF.serialize(list) == Self.canonical(list))
    }

    @Test func aChangedListIsSerialisedAnew() throws {
        var list = try Self.innerList(#"("@method");created=1"#)
        list.parameters["keyid"] = .string("k")
        #expect(try SF.serialize(list) == #"("@method");created=1;keyid="k""#)
        var other = try Self.innerList(#"("@method");created=1"#)
        other.items.append(SF.Item(.string("@path")))
        #expect(try SF.serialize(other) == #"("@method" "@path");created=1"#)
        #expect(try Self.innerList(#"("@method")"#) == SF.InnerList([SF.Item(.string("@method"))]))
    }
}
