import Synchronization
import Testing

@testable import PraxisHTTP

/// Routing is tested in-process, without sockets.
@Suite struct RouterTests {
    func text(_ body: String) -> HTTPResponse { HTTPResponse(contentType: "text/plain", body: body) }

    func call(_ router: Router, _ method: HTTPMethod, _ target: String) async throws -> HTTPResponse {
        try await router.respond(to: HTTPRequest(method: method, target: target))
    }

    @Test func literalsWinOverParameters() async throws {
        var router = Router()
        router.get("/users/:name") { request in self.text("user \(request.parameters["name"] ?? "")") }
        router.get("/users/me") { _ in self.text("me") }
        router.get("/users/:name/posts/:post") { request in
            self.text("\(request.parameters["name"] ?? "")/\(request.parameters["post"] ?? "")")
        }
        #expect(String(decoding: try await call(router, .get, "/users/me").body, as: UTF8.self) == "me")
        #expect(String(decoding: try await call(router, .get, "/users/ana").body, as: UTF8.self) == "user ana")
        #expect(String(decoding: try await call(router, .get, "/users/me/posts/7").body, as: UTF8.self) == "me/7")
        #expect(String(decoding: try await call(router, .get, "/users/ana?x=1").body, as: UTF8.self) == "user ana")
    }

    @Test func parametersArePercentDecoded() async throws {
        var router = Router()
        router.get("/c/:name") { request in self.text(request.parameters["name"] ?? "") }
        let response = try await call(router, .get, "/c/march%C3%A9s%20publics%2Fb+c")
        #expect(String(decoding: response.body, as: UTF8.self) == "marchés publics/b+c")
    }

    @Test func catchAll() async throws {
        var router = Router()
        router.get("/files/*path") { request in self.text("[\(request.parameters["path"] ?? "nil")]") }
        router.get("/files/special") { _ in self.text("special") }
        #expect(String(decoding: try await call(router, .get, "/files/a/b%20c/d.pdf").body, as: UTF8.self) == "[a/b c/d.pdf]")
        #expect(String(decoding: try await call(router, .get, "/files/special").body, as: UTF8.self) == "special")
        #expect(String(decoding: try await call(router, .get, "/files/special/x").body, as: UTF8.self) == "[special/x]")
        #expect(String(decoding: try await call(router, .get, "/files").body, as: UTF8.self) == "[]")
    }

    @Test func notFoundAndMethodNotAllowed() async throws {
        var router = Router()
        router.get("/a") { _ in self.text("a") }
        router.post("/a") { _ in self.text("posted") }
        router.delete("/a") { _ in self.text("deleted") }
        #expect(try await call(router, .get, "/b").status == .notFound)
        #expect(try await call(router, .get, "/a/b").status == .notFound)
        let put = try await call(router, .put, "/a")
        #expect(put.status == .methodNotAllowed)
        #expect(put.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS")
        let options = try await call(router, .options, "/a")
        #expect(options.status == .noContent)
        #expect(options.headers["Allow"] == "GET, HEAD, POST, DELETE, OPTIONS")
        #expect(String(decoding: try await call(router, .delete, "/a").body, as: UTF8.self) == "deleted")
    }

    @Test func headUsesGetWithoutBody() async throws {
        var router = Router()
        router.get("/doc") { _ in self.text("twelve bytes") }
        let head = try await call(router, .head, "/doc")
        #expect(head.status == .ok)
        #expect(head.body.isEmpty)
        #expect(head.headers["Content-Length"] == "12")
        #expect(head.headers["Content-Type"] == "text/plain")
    }

    @Test func rootAndTrailingSlashes() async throws {
        var router = Router()
        router.get("/") { _ in self.text("root") }
        router.get("/x/y") { _ in self.text("xy") }
        #expect(String(decoding: try await call(router, .get, "/").body, as: UTF8.self) == "root")
        #expect(String(decoding: try await call(router, .get, "/x/y/").body, as: UTF8.self) == "xy")
    }

    @Test func middlewareWrapsInOrderAndSeesErrorsAsResponses() async throws {
        let order = Mutex<[String]>([])
        var router = Router()
        router.get("/early") { _ in self.text("early") }
        router.use { request, next in
            order.withLock { $0.append("outer") }
            var response = try await next(request)
            response.headers["X-Frame-Options"] = "DENY"
            return response
        }
        router.use { request, next in
            order.withLock { $0.append("inner") }
            if request.headers["Authorization"] == nil && request.path == "/private" {
                throw HTTPError(.unauthorized, "sign in first")
            }
            return try await next(request)
        }
        router.get("/private") { _ in self.text("secret") }
        router.get("/fails") { _ in throw HTTPError(.conflict, "already a member") }

        let early = try await call(router, .get, "/early")
        #expect(early.headers["X-Frame-Options"] == "DENY", "middleware added later still wraps earlier routes")
        #expect(order.withLock { $0 } == ["outer", "inner"])
        let denied = try await call(router, .get, "/private")
        #expect(denied.status == .unauthorized)
        #expect(denied.headers["X-Frame-Options"] == "DENY")
        let conflict = try await call(router, .get, "/fails")
        #expect(conflict.status == .conflict)
        #expect(String(decoding: conflict.body, as: UTF8.self) == "already a member\n")
        #expect(conflict.headers["X-Frame-Options"] == "DENY")
        #expect(try await call(router, .get, "/nope").headers["X-Frame-Options"] == nil, "only matched routes")
    }

    @Test func otherErrorsPropagateToTheServer() async throws {
        struct Boom: Error {}
        var router = Router()
        router.get("/boom") { _ in throw Boom() }
        await #expect(throws: Boom.self) { try await call(router, .get, "/boom") }
    }

    @Test func perRouteBodyLimits() {
        var router = Router()
        router.post("/inbox", maxBodySize: 256) { _ in HTTPResponse(status: .accepted) }
        router.put("/docs/:id", maxBodySize: 10_000_000) { _ in HTTPResponse(status: .noContent) }
        router.patch("/docs/:id") { _ in HTTPResponse(status: .noContent) }
        router.get("/docs/:id") { _ in HTTPResponse() }
        #expect(router.maxBodySize(method: .post, path: "/inbox") == 256)
        #expect(router.maxBodySize(method: .put, path: "/docs/42") == 10_000_000)
        #expect(router.maxBodySize(method: .patch, path: "/docs/42") == nil)
        #expect(router.maxBodySize(method: .post, path: "/unknown") == nil)
    }

    @Test func laterRegistrationReplaces() async throws {
        var router = Router()
        router.get("/v") { _ in self.text("1") }
        router.get("/v") { _ in self.text("2") }
        #expect(String(decoding: try await call(router, .get, "/v").body, as: UTF8.self) == "2")
    }
}
