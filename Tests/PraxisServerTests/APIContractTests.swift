import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisHTTP
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

/// The client API keeps the contract `Protocol/openapi.yaml` states, operation by operation.
///
/// Every operation of the specification needs a row (`everyOperationHasAContractRow` fails
/// otherwise). Each row is run on a fresh node (``ContractWorld``) and checks:
/// - without credentials, a non-public operation is 401 (derived from the row's success case);
/// - an operation that takes input (a body or query parameters) refuses a bad value with 400/422;
/// - an operation that documents 403 refuses a member without the role (or the row says why not);
/// - its success case succeeds, and a promised body is there;
/// - every status it answers is documented for the operation, every refusal carries a message a
///   person can read, and no refusal changes stored content (``StorageSnapshot``).
@Suite struct APIContractTests {
    @Test func everyOperationHasAContractRow() throws {
        let spec = try OpenAPIOperations.shared.get()
        #expect(spec.operations.count >= 72, "the specification reader found only \(spec.operations.count) operations")
        let rows = Set(APIContract.rows.map(\.operation))
        for key in spec.operations.keys.sorted() where !rows.contains(key) {
            Issue.record("operation \(key) of Protocol/openapi.yaml has no row in APIContract.rows")
        }
        for row in APIContract.rows where spec.operations[row.operation] == nil {
            Issue.record("row \(row.operation) names no operation of Protocol/openapi.yaml")
        }
        #expect(rows.count == APIContract.rows.count, "an operation has two rows")
    }

    /// The line reader gets what the rows are checked against: a wrong reading would let every
    /// row pass for the wrong reasons.
    @Test func theSpecificationReaderSeesWhatTheContractNeeds() throws {
        let spec = try OpenAPIOperations.shared.get()
        let signIn = try #require(spec.operations["POST /auth/sign-in"])
        #expect(signIn.isPublic && signIn.hasBody && signIn.queryParameters.isEmpty)
        #expect(signIn.responses == [200: true, 400: true, 401: true, 413: true, 422: true, 429: true])
        let signOut = try #require(spec.operations["POST /auth/sign-out"])
        #expect(!signOut.isPublic && !signOut.takesInput && signOut.responses[204] == false)
        let feed = try #require(spec.operations["GET /feeds/{token}.atom"])
        #expect(feed.isPublic && feed.base.isEmpty && feed.responses.keys.sorted() == [200, 404])
        let audit = try #require(spec.operations["GET /audit-log"])
        #expect(audit.base == "/api/v1" && !audit.hasBody)
        #expect(Set(audit.queryParameters) == ["action", "actor", "since", "until", "cursor", "limit"])
        // Shared parameters (`$ref`) count as input where they are query parameters.
        #expect(try #require(spec.operations["GET /threads/{id}"]).takesInput)
        #expect(!(try #require(spec.operations["GET /communities/{name}"])).takesInput)
        #expect(try #require(spec.operations["POST /accounts/{name}/suspend"]).responses[200] == true)
        #expect(spec.operations.values.filter(\.isPublic).map(\.key).sorted()
            == ["GET /feeds/{token}.atom", "POST /auth/sign-in", "POST /invitations/redeem", "POST /registrations"])
    }

    @Test(arguments: APIContract.rows) func operationKeepsItsContract(_ row: ContractRow) async throws {
        let spec = try OpenAPIOperations.shared.get()
        let operation = try #require(spec.operations[row.operation])
        let world = try await ContractWorld.seed()

        if !operation.isPublic {
            var anonymous = try await row.success(world)
            anonymous.caller = nil
            anonymous.token = nil
            anonymous.expect = [401]
            let response = try await refusal(anonymous, operation, world, "without credentials")
            #expect(errorCode(response) == "unauthenticated", "\(row.operation) without credentials")
            #expect(response.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true, "\(row.operation)")
        }
        if let invalid = row.invalid {
            let made = try await invalid(world)
            #expect(made.expect.allSatisfy { [400, 422].contains($0) }, "\(row.operation): a validation case expects 400 or 422")
            _ = try await refusal(made, operation, world, "with bad input")
        } else if operation.takesInput && row.noValidation == nil {
            Issue.record("\(row.operation) takes input but its row has no validation case")
        }
        if let forbidden = row.forbidden {
            let made = try await forbidden(world)
            #expect(made.expect == [403], "\(row.operation): an authorisation case expects 403")
            let response = try await refusal(made, operation, world, "for a member without the role")
            #expect(["forbidden", "blocked", "wrong_password"].contains(errorCode(response) ?? ""), "\(row.operation)")
        } else if operation.responses[403] != nil && row.noForbidden == nil {
            Issue.record("\(row.operation) documents 403 but its row has no authorisation case")
        }

        let success = try await row.success(world)
        let response = try await world.send(success, base: operation.base)
        #expect(success.expect.contains(response.status.code),
                "\(row.operation) answered \(response.status.code) \(errorMessage(response) ?? "") instead of \(success.expect)")
        try documented(response, operation, "success")
        if operation.responses[response.status.code] == true {
            #expect(!response.body.isEmpty || response.file != nil, "\(row.operation) promises a body for \(response.status.code)")
            if response.headers["Content-Type"]?.hasPrefix("application/json") == true {
                #expect((try? JSON.parse(response.body)) != nil, "\(row.operation) answered JSON that does not parse")
            }
        } else if operation.responses[response.status.code] == false {
            #expect(response.body.isEmpty, "\(row.operation) documents no body for \(response.status.code) but sent one")
        }
    }

    /// Sends a case that must be refused: checks its status, that the status is documented, the
    /// message, and that storage did not change.
    func refusal(_ made: ContractCase, _ operation: OpenAPIOperations.Operation, _ world: ContractWorld, _ what: String)
        async throws -> HTTPResponse
    {
        let before = try await StorageSnapshot.take(world.api.store)
        let response = try await world.send(made, base: operation.base)
        #expect(made.expect.contains(response.status.code),
                "\(operation.key) \(what) answered \(response.status.code) \(errorMessage(response) ?? "") instead of \(made.expect)")
        try documented(response, operation, what)
        #expect((errorMessage(response) ?? "").count >= 10, "\(operation.key) \(what): the refusal has no message")
        let changed = try await StorageSnapshot.take(world.api.store).changed(since: before)
        #expect(changed == [], "\(operation.key) \(what) changed \(changed)")
        return response
    }

    func documented(_ response: HTTPResponse, _ operation: OpenAPIOperations.Operation, _ what: String) throws {
        #expect(operation.responses[response.status.code] != nil,
                "\(operation.key) \(what) answered \(response.status.code), which the specification does not document")
    }
}

/// One request of a contract row.
struct ContractCase: Sendable {
    /// The member whose token is sent; nil for none.
    var caller: String?
    /// A token of an account made for the case (a guest), sent instead of the caller's.
    var token: String?
    var method: HTTPMethod
    /// The target after the operation's base (`/api/v1`), with its query.
    var target: String
    var body: JSON?
    /// A document upload's bytes, handed over spooled as the server does.
    var upload: [UInt8]?
    /// The statuses that fulfil the case.
    var expect: Set<Int>
}

typealias ContractCaseMaker = @Sendable (ContractWorld) async throws -> ContractCase

/// What the contract says about one operation.
struct ContractRow: Sendable, CustomTestStringConvertible {
    var operation: String
    var success: ContractCaseMaker
    var invalid: ContractCaseMaker?
    var forbidden: ContractCaseMaker?
    /// Why an operation that takes input has no validation case.
    var noValidation: String?
    /// Why an operation that documents 403 has no authorisation case.
    var noForbidden: String?

    var testDescription: String { operation }
}

/// A seeded node for one contract row: the members of ``APITestNode`` signed in; `ana` and `bob`
/// members of `cloud`, `ada` and `bob` of `secret`; a question by ana in cloud with a reply by
/// bob, a post by ada in secret; `cleo` asking to join secret.
struct ContractWorld: Sendable {
    let api: APITestNode
    let tokens: [String: String]
    let question: String
    let reply: String
    let secretPost: String

    static func seed() async throws -> ContractWorld {
        let api = try APITestNode()
        for (member, community) in [("ana", "cloud"), ("bob", "cloud"), ("ada", "secret"), ("bob", "secret")] {
            try await api.accept(member, in: community)
        }
        let cleo = api.person("cleo")
        let secret = api.community("secret")
        try await api.store.database.write { db in
            try FollowRepository(db).upsert(Follow(
                follower: cleo, followed: secret, followerInbox: nil, followerDomain: "praxis.test",
                followedDomain: "praxis.test", state: .pending, activityID: "https://praxis.test/activities/\(UUID())"))
        }
        var tokens: [String: String] = [:]
        for member in ["ada", "mo", "ana", "bob", "cleo", "sam"] { tokens[member] = try await api.signIn(member) }
        func id(_ response: HTTPResponse) throws -> String {
            guard response.status == .created, let id = try json(response)["id"]?.stringValue else {
                throw APITestFailure("seeding a post failed: \(response.status) \(errorMessage(response) ?? "")")
            }
            return id
        }
        let question = try id(try await api.call(.post, "/communities/cloud/posts", token: tokens["ana"], body: [
            "title": "How do you tender cloud hosting?", "content": "Which lots did you use?", "kind": "question",
        ]))
        let reply = try id(try await api.call(.post, "/posts", token: tokens["bob"], body: [
            "community": .string(api.community("cloud")), "content": "Two lots: hosting and support.",
            "inReplyTo": .string(question),
        ]))
        let secretPost = try id(try await api.call(.post, "/communities/secret/posts", token: tokens["ada"], body: [
            "title": "Framework renewal", "content": "Draft terms attached.",
        ]))
        return ContractWorld(api: api, tokens: tokens, question: question, reply: reply, secretPost: secretPost)
    }

    func person(_ name: String) -> String { api.person(name) }
    func community(_ name: String) -> String { api.community(name) }
    func encoded(_ text: String) -> String { FormURLEncoding.percentEncode(text) }

    func send(_ made: ContractCase, base: String = "/api/v1") async throws -> HTTPResponse {
        var headers: HTTPHeaders = ["Host": "praxis.test", "User-Agent": "contract-tests/1.0"]
        if let token = made.token ?? made.caller.flatMap({ tokens[$0] }) { headers["Authorization"] = "Bearer \(token)" }
        var bytes: [UInt8] = []
        if let body = made.body {
            bytes = body.serializedBytes()
            headers["Content-Type"] = "application/json"
        }
        var request = HTTPRequest(method: made.method, target: base + made.target, headers: headers, body: bytes)
        if let upload = made.upload {
            let incoming = api.store.directory.documentBlobs.incomingDirectory
            try FileManager.default.createDirectory(at: incoming, withIntermediateDirectories: true)
            let file = incoming.appendingPathComponent(UUID().uuidString)
            try Data(upload).write(to: file)
            request.spooledBody = SpooledBody(path: file.path, size: upload.count, sha256: SHA256.hash(upload))
            headers["Content-Type"] = "text/plain"
        }
        return try await api.router.respond(to: request)
    }

    /// A guest's token: an expert invited by ana to cloud for one topic, signed in.
    func guestToken() async throws -> String {
        let invitation = try await prepare(by("ana", .post, "/communities/cloud/invitations", ["validDays": 7, "topic": "hosting"], expect: 201))
        let name = "expert\(UInt32.random(in: 1000...999_999))"
        try await prepare(by(nil, .post, "/invitations/redeem", [
            "token": invitation["token"] ?? .null, "username": .string(name), "password": .string(APITestNode.password),
        ], expect: 201))
        return try await api.signIn(name)
    }

    /// Sends `made` as setup for a case, requiring success; returns the response's JSON.
    @discardableResult
    func prepare(_ made: ContractCase) async throws -> JSON {
        let response = try await send(made)
        guard made.expect.contains(response.status.code) else {
            throw APITestFailure("setup \(made.method) \(made.target) answered \(response.status) \(errorMessage(response) ?? "")")
        }
        return (try? JSON.parse(response.body)) ?? .null
    }
}

/// A request by `caller` (nil: no credentials).
func by(_ caller: String?, _ method: HTTPMethod, _ target: String, _ body: JSON? = nil, upload: [UInt8]? = nil,
        expect: Int...) -> ContractCase {
    ContractCase(caller: caller, token: nil, method: method, target: target, body: body, upload: upload, expect: Set(expect))
}

func row(_ operation: String, ok success: @escaping ContractCaseMaker, invalid: ContractCaseMaker? = nil,
         forbidden: ContractCaseMaker? = nil, noValidation: String? = nil, noForbidden: String? = nil) -> ContractRow {
    ContractRow(operation: operation, success: success, invalid: invalid, forbidden: forbidden, noValidation: noValidation,
                noForbidden: noForbidden)
}

/// Refusals found by the contract rows that deserve their own case.
@Suite struct APIContractFindingsTests {
    /// Reporting a post one may not read answers exactly as reading it: 404 with the message of a
    /// post that does not exist, and nothing stored.
    @Test func reportingAPostOneCannotReadIsLikeReadingIt() async throws {
        let w = try await ContractWorld.seed()
        let missing = "https://praxis.test/objects/no-such-post"
        for member in ["ana", "cleo", "sam"] {
            let before = try await StorageSnapshot.take(w.api.store)
            let read = try await w.send(by(member, .get, "/threads/" + w.encoded(w.secretPost), expect: 404))
            let hidden = try await w.send(by(member, .post, "/reports", ["object": .string(w.secretPost), "reason": "Spam"], expect: 404))
            let absent = try await w.send(by(member, .post, "/reports", ["object": .string(missing), "reason": "Spam"], expect: 404))
            #expect(read.status == .notFound, "\(member)")
            #expect(hidden.status == .notFound, "\(member)")
            #expect(errorMessage(hidden)?.replacingOccurrences(of: w.secretPost, with: missing) == errorMessage(absent), "\(member)")
            #expect(try await StorageSnapshot.take(w.api.store).changed(since: before) == [], "\(member)")
        }
        // A member of secret may report it.
        let allowed = try await w.send(by("bob", .post, "/reports", ["object": .string(w.secretPost), "reason": "Spam"], expect: 201))
        #expect(allowed.status == .created)
    }

    /// Leaving by a malformed handle is a bad query parameter: 400, as documented (was 422, found
    /// by Tests/APIFuzz).
    @Test func leavingByAMalformedHandleIs400() async throws {
        let w = try await ContractWorld.seed()
        let before = try await StorageSnapshot.take(w.api.store)
        let response = try await w.send(by("bob", .delete, "/follows?target=" + w.encoded("á@\u{0E}\u{93}V"), expect: 400))
        #expect(response.status == .badRequest)
        #expect(errorField(response) == "target")
        #expect((errorMessage(response) ?? "").count >= 10)
        #expect(try await StorageSnapshot.take(w.api.store).changed(since: before) == [])
    }

    /// Suspending and reinstating answer with the account's status, as the specification says.
    @Test func suspensionsAnswerWithTheStatus() async throws {
        let w = try await ContractWorld.seed()
        let suspended = try json(try await w.send(by("ada", .post, "/accounts/BOB/suspend", [:], expect: 200)))
        #expect(suspended["name"]?.stringValue == "bob")
        #expect(suspended["status"]?.stringValue == "suspended")
        #expect(suspended["previous"]?.stringValue == "active")
        let reinstated = try json(try await w.send(by("ada", .post, "/accounts/bob/reinstate", [:], expect: 200)))
        #expect(reinstated["status"]?.stringValue == "active")
        #expect(reinstated["previous"]?.stringValue == "suspended")
    }
}
