import Testing

@testable import PraxisJSON

@Suite("Serialising")
struct SerializerTests {
    @Test func scalars() {
        #expect(JSON.null.serialized() == "null")
        #expect(JSON.bool(true).serialized() == "true")
        #expect(JSON.bool(false).serialized() == "false")
        #expect(JSON.integer(0).serialized() == "0")
        #expect(JSON.integer(-42).serialized() == "-42")
        #expect(JSON.integer(.max).serialized() == "9223372036854775807")
        #expect(JSON.integer(.min).serialized() == "-9223372036854775808")
        #expect(JSON.string("hi").serialized() == "\"hi\"")
        #expect(JSON.array([]).serialized() == "[]")
        #expect(JSON.object(JSONObject()).serialized() == "{}")
    }

    @Test func doubles() {
        #expect(JSON.double(3.0).serialized() == "3")
        #expect(JSON.double(-3.0).serialized() == "-3")
        #expect(JSON.double(-0.0).serialized() == "0")
        #expect(JSON.double(0.1).serialized() == "0.1")
        #expect(JSON.double(1.5).serialized() == "1.5")
        #expect(JSON.double(9_007_199_254_740_991).serialized() == "9007199254740991")
        #expect(JSON.double(1e300).serialized() == "1e+300")
        #expect(JSON.double(1e-7).serialized() == "1e-07")
        #expect(JSON.double(.leastNonzeroMagnitude).serialized() == "5e-324")
        // At 2^53 and beyond, integral doubles keep a form that reads back as a double.
        #expect(JSON.double(9_007_199_254_740_992).serialized() == "9007199254740992.0")
        #expect(JSON.double(1e20).serialized() == "1e+20")
        #expect(JSON.double(.nan).serialized() == "null")
        #expect(JSON.double(.infinity).serialized() == "null")
    }

    @Test func stringEscaping() {
        #expect(JSON.string("a\"b\\c").serialized() == #""a\"b\\c""#)
        #expect(JSON.string("\u{8}\u{C}\n\r\t").serialized() == #""\b\f\n\r\t""#)
        #expect(JSON.string("\u{0}\u{1}\u{1F}").serialized() == #""\u0000\u0001\u001f""#)
        #expect(JSON.string("a/b").serialized() == #""a/b""#)
        #expect(JSON.string("\u{7F}").serialized() == "\"\u{7F}\"")
        #expect(JSON.string("é中😀").serializedBytes() == Array("\"é中😀\"".utf8))
        #expect(JSON.string("x\ny").serialized() == #""x\ny""#)
        #expect(JSON.string("\"").serialized() == #""\"""#)
    }

    @Test func membersKeepStoredOrder() {
        var object: JSON = ["b": 1, "a": 2]
        object["c"] = 3
        object["b"] = 4
        #expect(object.serialized() == #"{"b":4,"a":2,"c":3}"#)
    }

    @Test func sortedKeysUseUTF16CodeUnits() throws {
        // RFC 8785 section 3.2.3's example: sorted by UTF-16 code units, so U+1F600 (a surrogate pair,
        // 0xD83D...) sorts before U+FB33 although its scalar value is larger.
        let value = try JSON.parse(
            #"{"\u20ac":"Euro Sign","\r":"Carriage Return","\ufb33":"Hebrew Letter Dalet With Dagesh","1":"One","\ud83d\ude00":"Emoji: Grinning Face","\u0080":"Control","\u00f6":"Latin Small Letter O With Diaeresis"}"#
        )
        let keys = try #require(try JSON.parse(value.serialized(sortedKeys: true)).objectValue?.keys)
        #expect(keys == ["\r", "1", "\u{80}", "ö", "€", "😀", "\u{FB33}"])
        // Nested objects are sorted too, arrays keep their order.
        let nested: JSON = ["b": [["z": 1, "y": 2]], "a": nil]
        #expect(nested.serialized(sortedKeys: true) == #"{"a":null,"b":[{"y":2,"z":1}]}"#)
        // Sorting is by code units, not by case-folded text.
        let cased: JSON = ["b": 1, "B": 2, "a": 3, "A": 4]
        #expect(cased.serialized(sortedKeys: true) == #"{"A":4,"B":2,"a":3,"b":1}"#)
    }

    @Test func pretty() {
        let value: JSON = ["type": "Note", "to": ["a", "b"], "tag": [], "meta": [:], "n": ["x": 1.5]]
        let expected = """
            {
              "type": "Note",
              "to": [
                "a",
                "b"
              ],
              "tag": [],
              "meta": {},
              "n": {
                "x": 1.5
              }
            }
            """
        #expect(value.serialized(pretty: true) == expected)
        #expect(JSON.integer(1).serialized(pretty: true) == "1")
        #expect(value.serialized(pretty: true, sortedKeys: true).hasPrefix("{\n  \"meta\": {},\n  \"n\": {"))
    }

    @Test func bytesAndStringAgree() {
        let value: JSON = ["k": ["é", 1, 2.5, nil, true]]
        #expect(value.serializedBytes() == Array(value.serialized().utf8))
        #expect(value.description == value.serialized())
    }

    static let documents: [String] = [
        "null", "true", "false", "0", "-1", "1.5", "\"\"", "[]", "{}",
        #"[1,-2,3.25,"x",null,true,false,[],{}]"#,
        ##"{"@context":"https://www.w3.org/ns/activitystreams","type":"Create","id":"https://a.example/1","actor":"https://a.example/users/alice","object":{"type":"Note","content":"<p>Hello \"world\"</p>\n","tag":[{"type":"Hashtag","name":"#procurement"}],"to":["https://www.w3.org/ns/activitystreams#Public"]}}"##,
        #"{"z":1,"y":{"x":[{"w":null}]},"a":"é中😀","\u0000ctl":"\t"}"#,
        #"[9223372036854775807,-9223372036854775808,9007199254740993,1e+300,5e-324,0.1,1e-07]"#,
        #"{"nested":[[[[[[[[[[1]]]]]]]]]]}"#,
        #"["a/b","\\","\"","\u001f\u0000~"]"#,
    ]

    @Test(arguments: documents)
    func parseThenSerialiseIsIdentityForCompactDocuments(text: String) throws {
        let value = try JSON.parse(text)
        #expect(value.serialized() == text)
        #expect(try JSON.parse(value.serialized(pretty: true)) == value)
        let sorted = try JSON.parse(value.serialized(sortedKeys: true))
        #expect(sorted == value)
    }

    @Test func roundTripNormalisesSpellings() throws {
        let value = try JSON.parse(#" { "a" : [ 1.0 , 1E2 , -0.0 , "\u0041\/" ] } "#)
        #expect(value.serialized() == #"{"a":[1,100,0,"A/"]}"#)
    }
}
