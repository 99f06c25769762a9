import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import Testing

/// `GET /api/v1/search`: results, filters, errors and who sees what.
@Suite struct APISearchTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    func search(_ query: String, _ extra: String = "", token: String?) async throws -> HTTPResponse {
        try await t.call(.get, "/search?q=" + FormURLEncoding.percentEncode(query) + extra, token: token)
    }

    func ids(_ response: HTTPResponse) throws -> [String] {
        try json(response)["results"]?.arrayValue?.compactMap { $0["id"]?.stringValue } ?? []
    }

    @discardableResult
    func post(_ token: String, in community: String, _ body: JSON) async throws -> String {
        let response = try await t.call(.post, "/communities/\(community)/posts", token: token, body: body)
        #expect(response.status == .created)
        return try #require(try json(response)["id"]?.stringValue)
    }

    @Test func membersOnlyThreadsAreFoundByMembersAndNobodyElse() async throws {
        try await t.accept("ana", in: "secret")
        let ana = try await t.signIn("ana")
        let id = try await post(ana, in: "secret", [
            "title": "Plazos de adjudicación", "content": "¿Cuándo se publica la **adjudicación**?", "kind": "question",
            "language": "es",
        ])
        let found = try await search("adjudicacion", token: ana)
        #expect(found.status == .ok)
        #expect(try ids(found) == [id])
        let hit = try #require(try json(found)["results"]?[0])
        #expect(hit["thread"]?.stringValue == id)
        #expect(hit["title"] == "Plazos de adjudicación")
        #expect(hit["community"] == "https://praxis.test/communities/secret")
        #expect(hit["author"] == "https://praxis.test/users/ana")
        #expect(hit["kind"] == "question")
        #expect(hit["answered"] == false)
        #expect((hit["score"]?.doubleValue ?? 0) > 0)
        let snippet = try #require(hit["snippet"]?.stringValue)
        #expect(snippet.contains("⟦adjudicación⟧"))
        #expect(!snippet.contains("<strong>"))
        #expect(try json(found)["highlight"]?["start"] == "⟦")

        // The owner reads it; a practitioner outside the community gets nothing, not even by name.
        #expect(try ids(try await search("adjudicacion", token: try await t.signIn("ada"))) == [id])
        let bob = try await t.signIn("bob")
        #expect(try ids(try await search("adjudicacion", token: bob)).isEmpty)
        #expect(try ids(try await search("adjudicacion", "&community=secret", token: bob)).isEmpty)
        // Once bob is accepted, he finds it.
        try await t.accept("bob", in: "secret")
        #expect(try ids(try await search("adjudicacion", token: bob)) == [id])

        let supplier = try await search("adjudicacion", token: try await t.signIn("sam"))
        #expect(supplier.status == .forbidden)
        #expect(try await search("adjudicacion", token: nil).status == .unauthorized)
        #expect(try await search("adjudicacion", token: "not-a-token").status == .unauthorized)
    }

    @Test func filtersAndPagesWork() async throws {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        let question = try await post(bob, in: "cloud", [
            "title": "入札の質問", "content": "公共調達の入札について教えてください", "kind": "question", "language": "ja",
        ])
        let discussion = try await post(bob, in: "cloud", [
            "title": "入札の議論", "content": "入札公告の書き方", "kind": "discussion", "language": "ja",
        ])
        try await post(bob, in: "cloud", ["title": "Tender", "content": "A tender in English", "language": "en"])
        #expect(Set(try ids(try await search("入札", token: bob))) == [question, discussion])
        #expect(try ids(try await search("入札", "&kind=question", token: bob)) == [question])
        #expect(try ids(try await search("入札", "&answered=false", token: bob)) == [question])
        #expect(try ids(try await search("入札", "&answered=true", token: bob)).isEmpty)
        #expect(try ids(try await search("入札公告", token: bob)) == [discussion])
        #expect(try ids(try await search("tender", "&language=ja", token: bob)).isEmpty)
        #expect(try ids(try await search("tender", "&language=en&community=cloud", token: bob)).count == 1)

        let first = try json(try await search("入札", "&limit=1", token: bob))
        #expect(first["results"]?.arrayValue?.count == 1)
        #expect(first["next"] == 1)
        let second = try json(try await search("入札", "&limit=1&offset=1", token: bob))
        #expect(second["results"]?.arrayValue?.count == 1)
        #expect(second["next"] == .null)
        #expect(first["results"]?[0]?["id"] != second["results"]?[0]?["id"])
    }

    @Test func badQueriesAndParametersAre400WithTheReason() async throws {
        let bob = try await t.signIn("bob")
        let unclosed = try await search("\"public tender", token: bob)
        #expect(unclosed.status == .badRequest)
        #expect(errorCode(unclosed) == "invalid_query")
        #expect(errorMessage(unclosed)?.contains("quotation mark") == true)
        #expect(try await search("*", token: bob).status == .badRequest)
        let letter = try await search("a*", token: bob)
        #expect(letter.status == .badRequest)
        #expect(errorMessage(letter)?.contains("at least two letters") == true)
        #expect(errorField(try await t.call(.get, "/search", token: bob)) == "q")
        #expect(errorField(try await search("x", "&limit=0", token: bob)) == "limit")
        #expect(errorField(try await search("x", "&limit=51", token: bob)) == "limit")
        #expect(errorField(try await search("x", "&offset=-1", token: bob)) == "offset")
        #expect(errorField(try await search("x", "&kind=poll", token: bob)) == "kind")
        #expect(errorField(try await search("x", "&answered=maybe", token: bob)) == "answered")
        #expect(try await search("x", "&language=%3Cscript%3E", token: bob).status == .badRequest)
        // FTS5 operators typed by a person are plain words, not errors.
        #expect(try await search("NEAR(a b) AND title:x", token: bob).status == .ok)
    }
}
