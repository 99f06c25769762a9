import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import Testing

/// Per-address API limits, per-address-and-name sign-in limits and the account lock-out.
struct APILimitsTests {
    /// A request as the HTTP server hands it over: with the peer's address.
    static func request(_ method: HTTPMethod, _ path: String, from address: String, body: JSON? = nil) -> HTTPRequest {
        var headers: HTTPHeaders = ["Host": "praxis.test", "User-Agent": "api-tests/1.0"]
        if body != nil { headers["Content-Type"] = "application/json" }
        return HTTPRequest(method: method, target: "/api/v1" + path, headers: headers, body: body?.serializedBytes() ?? [],
                           remoteAddress: address)
    }

    /// The node's routes after its configuration got the limits `change` makes, with rates so
    /// slow that no token comes back while the test runs (so timing cannot change the outcome).
    static func router(_ api: APITestNode, _ change: (inout AbuseLimits) -> Void) throws -> Router {
        var configuration = api.store.configuration
        var limits = configuration.effectiveLimits
        change(&limits)
        configuration.limits = limits
        try configuration.save(to: api.node.directory)
        let store = try NodeStore(directory: api.node.directory)
        let federation = try NodeFederation(store: store, delivery: DeliveryConfiguration(), log: { _ in })
        return NodeRoutes(store: store, federation: federation).router()
    }

    static func signIn(_ name: String, _ password: String, from address: String = "") -> HTTPRequest {
        request(.post, "/auth/sign-in", from: address, body: ["username": .string(name), "password": .string(password)])
    }

    @Test func anAddressOverItsAPIBudgetGets429WithRetryAfterWhileOthersAreServed() async throws {
        let api = try APITestNode()
        let router = try Self.router(api) { $0.apiPerAddress = .init(perSecond: 0.0001, burst: 10) }
        for _ in 0..<10 {
            let response = try await router.respond(to: Self.request(.get, "/me", from: "192.0.2.1"))
            #expect(response.status == .unauthorized)
        }
        let refused = try await router.respond(to: Self.request(.get, "/me", from: "192.0.2.1"))
        #expect(refused.status == .tooManyRequests)
        #expect(errorCode(refused) == "rate_limited")
        #expect(Int(refused.headers["Retry-After"] ?? "") ?? 0 >= 1)
        #expect(errorMessage(refused)?.contains("retry after") == true)
        let other = try await router.respond(to: Self.request(.get, "/me", from: "192.0.2.2"))
        #expect(other.status == .unauthorized)
    }

    @Test func signInAttemptsPerAddressAndNameAreLimitedEvenWithTheRightPassword() async throws {
        let api = try APITestNode()
        let router = try Self.router(api) { $0.signInPerAddressAndName = .init(perSecond: 0.0001, burst: 2) }
        for _ in 0..<2 {
            let response = try await router.respond(to: Self.signIn("ana", APITestNode.password, from: "192.0.2.7"))
            #expect(response.status == .ok)
        }
        let refused = try await router.respond(to: Self.signIn("ana", APITestNode.password, from: "192.0.2.7"))
        #expect(refused.status == .tooManyRequests)
        #expect(refused.headers["Retry-After"] != nil)
        // The same name from another address, and another name from this one, still work.
        #expect(try await router.respond(to: Self.signIn("ana", APITestNode.password, from: "192.0.2.8")).status == .ok)
        #expect(try await router.respond(to: Self.signIn("bob", APITestNode.password, from: "192.0.2.7")).status == .ok)
    }

    @Test func repeatedFailuresLockTheNameOutAcrossRestartsAndTheAnswerRevealsNoAccount() async throws {
        let api = try APITestNode()
        let failures = AbuseLimits().signInFailures
        func lockOut(_ name: String) async throws -> HTTPResponse {
            for _ in 0..<failures {
                #expect(try await api.router.respond(to: Self.signIn(name, "wrong password")).status == .unauthorized)
            }
            // Now even the right password is refused, before it is checked.
            return try await api.router.respond(to: Self.signIn(name, APITestNode.password))
        }
        let existing = try await lockOut("ana")
        #expect(existing.status == .tooManyRequests)
        let retryAfter = try #require(Int(existing.headers["Retry-After"] ?? ""))
        #expect((1...Int(AbuseLimits().lockout)).contains(retryAfter))
        #expect(errorMessage(existing)?.contains("too many failed sign-ins") == true)

        let unknown = try await lockOut("nobody-here")
        #expect(unknown.status == existing.status)
        #expect(errorCode(unknown) == errorCode(existing))
        func shape(_ text: String?) -> String? { text?.replacingOccurrences(of: #"\d+"#, with: "N", options: .regularExpression) }
        #expect(shape(errorMessage(unknown)) == shape(errorMessage(existing)))

        // The count lives in the database: a restarted node (a new router on the same store) still refuses.
        let federation = try NodeFederation(store: api.store, delivery: DeliveryConfiguration(), log: { _ in })
        let restarted = NodeRoutes(store: api.store, federation: federation).router()
        #expect(try await restarted.respond(to: Self.signIn("ana", APITestNode.password)).status == .tooManyRequests)
        // Other accounts are unaffected.
        #expect(try await restarted.respond(to: Self.signIn("bob", APITestNode.password)).status == .ok)
        let rows = try await api.store.database.read { db in
            try db.scalar(Int.self, "SELECT count(*) FROM sign_in_failures WHERE locked_until IS NOT NULL") ?? 0
        }
        #expect(rows == 2)
    }
}
