import Testing

@testable import PraxisJSON

@Suite("JSON values")
struct ValueTests {
    @Test func literals() {
        let value: JSON = [
            "null": nil, "bool": true, "int": 7, "double": 2.5, "string": "s", "array": [1, "two"],
            "object": ["k": "v"],
        ]
        #expect(value["null"] == .null)
        #expect(value["bool"] == .bool(true))
        #expect(value["int"] == .integer(7))
        #expect(value["double"] == .double(2.5))
        #expect(value["string"] == .string("s"))
        #expect(value["array"] == .array([.integer(1), .string("two")]))
        #expect(value["object"] == .object(JSONObject([("k", .string("v"))])))
        #expect(value.objectValue?.keys == ["null", "bool", "int", "double", "string", "array", "object"])
    }

    @Test func accessors() {
        #expect(JSON.string("x").stringValue == "x")
        #expect(JSON.integer(1).stringValue == nil)
        #expect(JSON.integer(5).intValue == 5)
        #expect(JSON.double(5).intValue == 5)
        #expect(JSON.double(5.5).intValue == nil)
        #expect(JSON.double(1e30).intValue == nil)
        #expect(JSON.string("5").intValue == nil)
        #expect(JSON.integer(5).doubleValue == 5.0)
        #expect(JSON.double(0.5).doubleValue == 0.5)
        #expect(JSON.null.doubleValue == nil)
        #expect(JSON.bool(false).boolValue == false)
        #expect(JSON.integer(0).boolValue == nil)
        #expect(JSON.array([1]).arrayValue == [1])
        #expect(JSON.object(["a": 1]).objectValue?["a"] == 1)
        #expect(JSON.array([]).objectValue == nil)
        #expect(JSON.null.isNull)
        #expect(!JSON.bool(false).isNull)
        #expect(JSON.integer(1).isNumber && JSON.double(1).isNumber && !JSON.string("1").isNumber)
    }

    @Test func subscripts() {
        var value: JSON = ["a": [10, 20, ["deep": true]], "b": "x"]
        #expect(value["a"]?[0] == 10)
        #expect(value["a"]?[2]?["deep"] == true)
        #expect(value["a"]?[3] == nil)
        #expect(value["a"]?[-1] == nil)
        #expect(value["missing"] == nil)
        #expect(value["b"]?["x"] == nil)
        #expect(value[0] == nil)

        value["c"] = 3
        value["a"] = "replaced"
        #expect(value.objectValue?.keys == ["a", "b", "c"])
        #expect(value["a"] == "replaced")
        value["b"] = nil
        #expect(value.objectValue?.keys == ["a", "c"])
        value["c"]?["inner"] = 1  // not an object: nothing happens
        #expect(value["c"] == 3)

        var nested: JSON = ["object": ["x": 1]]
        nested["object"]?["y"] = 2
        #expect(nested.serialized() == #"{"object":{"x":1,"y":2}}"#)

        var scalar: JSON = 1
        scalar["a"] = 1
        #expect(scalar == 1)
    }

    @Test func objectOperations() {
        var object = JSONObject()
        #expect(object.isEmpty)
        object["one"] = 1
        object["two"] = 2
        object["three"] = 3
        #expect(object.count == 3)
        #expect(object.keys == ["one", "two", "three"])
        #expect(object.values == [1, 2, 3])
        object["one"] = "first"
        #expect(object.keys == ["one", "two", "three"])
        #expect(object.removeValue(forKey: "two") == 2)
        #expect(object.removeValue(forKey: "two") == nil)
        #expect(object.keys == ["one", "three"])
        #expect(object.contains("three") && !object.contains("two"))
        #expect(object.position(of: "three") == 1)
        #expect(Array(object.map(\.key)) == ["one", "three"])

        let fromPairs = JSONObject([("a", 1), ("b", 2), ("a", 3)])
        #expect(fromPairs.keys == ["a", "b"])
        #expect(fromPairs["a"] == 3)
    }

    @Test func largeObjectsStayConsistentAcrossEdits() {
        // Crosses the threshold where a hash index is built, then back below it.
        var object = JSONObject()
        for i in 0..<40 { object["k\(i)"] = .integer(Int64(i)) }
        for i in 0..<40 { #expect(object["k\(i)"] == .integer(Int64(i))) }
        for i in stride(from: 0, to: 40, by: 2) { object["k\(i)"] = nil }
        #expect(object.count == 20)
        for i in 0..<40 { #expect(object["k\(i)"] == (i % 2 == 0 ? nil : .integer(Int64(i)))) }
        for i in stride(from: 1, to: 35, by: 2) { object.removeValue(forKey: "k\(i)") }
        #expect(object.keys == ["k35", "k37", "k39"])
        object["new"] = true
        #expect(object.position(of: "new") == 3)
        for i in 0..<20 { object["m\(i)"] = nil; object["m\(i)"] = .integer(Int64(i)) }
        #expect(object.position(of: "m19") == 23)
        #expect(object["k37"] == 37)
    }

    @Test func equalityIgnoresMemberOrderAndNumberSpelling() {
        let a: JSON = ["x": 1, "y": [true, nil]]
        let b: JSON = ["y": [true, nil], "x": 1.0]
        #expect(a == b)
        #expect(a.hashValue == b.hashValue)
        #expect(Set([a, b]).count == 1)
        #expect(JSON.integer(3) == JSON.double(3))
        #expect(JSON.integer(9_007_199_254_740_993) != JSON.double(9_007_199_254_740_992))
        #expect(JSON.integer(0) == JSON.double(-0.0))
        #expect(JSON.integer(0).hashValue == JSON.double(-0.0).hashValue)
        #expect(JSON.integer(1) != JSON.bool(true))
        #expect(JSON.string("1") != JSON.integer(1))
        #expect(JSON.array([1, 2]) != JSON.array([2, 1]))
        #expect((["a": 1] as JSON) != (["a": 1, "b": 2] as JSON))
        #expect((["a": 1] as JSON) != (["b": 1] as JSON))
        #expect(JSON.null != JSON.array([]))
    }
}
