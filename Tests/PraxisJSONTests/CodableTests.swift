import Foundation
import Testing

@testable import PraxisJSON

@Suite("Codable bridging")
struct CodableTests {
    struct Note: Codable, Equatable {
        var id: String
        var likes: Int
        var score: Double
        var tags: [String]
        var reply: String?
        var extra: JSON
    }

    @Test func decodeFromJSON() throws {
        let value = try JSON.parse(
            #"{"id":"n1","likes":3,"score":0.5,"tags":["a","b"],"extra":{"k":[1,"x",null]}}"#)
        let note = try value.decode(Note.self)
        #expect(note == Note(id: "n1", likes: 3, score: 0.5, tags: ["a", "b"], reply: nil, extra: ["k": [1, "x", nil]]))
    }

    @Test func encodeToJSON() throws {
        let note = Note(id: "n2", likes: -1, score: 2, tags: [], reply: "r", extra: [true, 1.5, "é"])
        let value = try JSON(encoding: note)
        #expect(value["id"] == "n2")
        #expect(value["likes"] == .integer(-1))
        #expect(value["score"] == 2)
        #expect(value["tags"] == [])
        #expect(value["reply"] == "r")
        #expect(value["extra"] == [true, 1.5, "é"])
        #expect(try value.decode(Note.self) == note)
    }

    @Test func jsonRoundTripsThroughCodable() throws {
        let value: JSON = ["a": [1, 2.25, nil, false, "s", ["b": [:]]], "big": .integer(.max)]
        #expect(try JSON(encoding: value) == value)
        #expect(try value.decode(JSON.self) == value)
    }

    @Test func parsesFoundationData() throws {
        let data = Data(#"{"a":[1,2]}"#.utf8)
        #expect(try JSON.parse(data) == ["a": [1, 2]])
        #expect(try JSON.parse(data[(data.startIndex + 5)..<(data.startIndex + 10)]) == [1, 2])
    }

    @Test func failuresAreCodingErrors() {
        let wrong: JSON = ["id": 1]
        do {
            _ = try wrong.decode(Note.self)
            Issue.record("decoded a malformed note")
        } catch let error as JSONError {
            #expect(error.kind == .coding)
            #expect(error.message.hasPrefix("cannot decode Note from JSON"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
        #expect(throws: JSONError.self) { try JSON(encoding: [Double.nan]) }
    }
}
