/// Routes requests by method and path pattern to handlers; the server's usual responder.
///
/// Patterns are made of `/`-separated segments: literals (`users`), parameters (`:name`, the
/// percent-decoded segment lands in `request.parameters["name"]`) and a final catch-all
/// (`*path`, the rest of the path). A literal segment wins over a parameter, and a parameter
/// over a catch-all. Empty segments are ignored, so `/users/ana/` matches `/users/:name`.
///
/// ```swift
/// var router = Router()
/// router.use { request, next in
///     var response = try await next(request)
///     response.headers["X-Content-Type-Options"] = "nosniff"
///     return response
/// }
/// router.get("/users/:name") { request in
///     HTTPResponse(contentType: "text/plain", body: "hello \(request.parameters["name"] ?? "")")
/// }
/// router.post("/inbox", maxBodySize: 256 * 1024) { request in HTTPResponse(status: .accepted) }
/// ```
///
/// HEAD is answered by the GET handler with the body dropped (its length kept in
/// `Content-Length`); a path known for other methods gives 405 with `Allow`; OPTIONS gives 204
/// with `Allow`; an unknown path gives 404. `HTTPError`s thrown by handlers or middleware become
/// their responses here, so middleware sees them as responses.
public struct Router: HTTPResponder {
    public typealias Handler = @Sendable (HTTPRequest) async throws -> HTTPResponse
    public typealias Middleware = @Sendable (HTTPRequest, Handler) async throws -> HTTPResponse

    struct Route: Sendable {
        var handler: Handler
        var composed: Handler
        var maxBodySize: Int?
        var spoolDirectory: String?
        var parameterNames: [String]
        var catchAllName: String?
    }

    struct Node: Sendable {
        /// Keyed by substrings so that matching looks up a path's segments without copying them.
        var literals: [Substring: Int] = [:]
        var parameter: Int?
        var catchAll: [HTTPMethod: Route] = [:]
        var routes: [HTTPMethod: Route] = [:]
    }

    private var nodes: [Node] = [Node()]
    private var middleware: [Middleware] = []

    public init() {}

    // MARK: Registration

    /// Registers `handler` for `method` and `pattern`; a later registration of the same pair
    /// replaces the earlier one.
    /// - Parameter maxBodySize: largest request body for this route; nil keeps the server default.
    /// - Precondition: the pattern is well formed (a catch-all only last, names not empty); a
    ///   malformed pattern is a programming error caught at startup.
    public mutating func add(_ method: HTTPMethod, _ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        add(method, pattern, maxBodySize: maxBodySize, spoolDirectory: nil, handler)
    }

    /// Registers a route whose request bodies are streamed to a new file in `directory` (hashed on
    /// the way) and handed over as `request.spooledBody`; for uploads that must not sit in memory.
    public mutating func add(
        _ method: HTTPMethod, _ pattern: String, spoolingTo directory: String, maxBodySize: Int, _ handler: @escaping Handler
    ) {
        add(method, pattern, maxBodySize: maxBodySize, spoolDirectory: directory, handler)
    }

    private mutating func add(
        _ method: HTTPMethod, _ pattern: String, maxBodySize: Int?, spoolDirectory: String?, _ handler: @escaping Handler
    ) {
        var node = 0
        var names: [String] = []
        var catchAllName: String?
        let segments = pattern.split(separator: "/", omittingEmptySubsequences: true)
        for (i, segment) in segments.enumerated() {
            if segment.first == ":" {
                let name = String(segment.dropFirst())
                precondition(!name.isEmpty, "route pattern \(pattern): a parameter needs a name")
                names.append(name)
                if let next = nodes[node].parameter {
                    node = next
                } else {
                    nodes.append(Node())
                    nodes[node].parameter = nodes.count - 1
                    node = nodes.count - 1
                }
            } else if segment.first == "*" {
                let name = String(segment.dropFirst())
                precondition(!name.isEmpty, "route pattern \(pattern): a catch-all needs a name")
                precondition(i == segments.count - 1, "route pattern \(pattern): a catch-all must be the last segment")
                catchAllName = name
            } else {
                let literal = Substring(segment)
                if let next = nodes[node].literals[literal] {
                    node = next
                } else {
                    nodes.append(Node())
                    nodes[node].literals[literal] = nodes.count - 1
                    node = nodes.count - 1
                }
            }
        }
        let route = Route(
            handler: handler, composed: compose(handler), maxBodySize: maxBodySize, spoolDirectory: spoolDirectory,
            parameterNames: names,
            catchAllName: catchAllName)
        if catchAllName != nil {
            nodes[node].catchAll[method] = route
        } else {
            nodes[node].routes[method] = route
        }
    }

    public mutating func get(_ pattern: String, _ handler: @escaping Handler) {
        add(.get, pattern, handler)
    }

    public mutating func post(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        add(.post, pattern, maxBodySize: maxBodySize, handler)
    }

    public mutating func put(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        add(.put, pattern, maxBodySize: maxBodySize, handler)
    }

    public mutating func post(_ pattern: String, spoolingTo directory: String, maxBodySize: Int, _ handler: @escaping Handler) {
        add(.post, pattern, spoolingTo: directory, maxBodySize: maxBodySize, handler)
    }

    public mutating func put(_ pattern: String, spoolingTo directory: String, maxBodySize: Int, _ handler: @escaping Handler) {
        add(.put, pattern, spoolingTo: directory, maxBodySize: maxBodySize, handler)
    }

    public mutating func patch(_ pattern: String, maxBodySize: Int? = nil, _ handler: @escaping Handler) {
        add(.patch, pattern, maxBodySize: maxBodySize, handler)
    }

    public mutating func delete(_ pattern: String, _ handler: @escaping Handler) {
        add(.delete, pattern, handler)
    }

    /// Adds a middleware around every matched handler, registered before or after this call.
    /// The first middleware added is the outermost.
    public mutating func use(_ middleware: @escaping Middleware) {
        self.middleware.append(middleware)
        var updated = nodes
        for n in updated.indices {
            for (method, route) in nodes[n].routes { updated[n].routes[method]?.composed = compose(route.handler) }
            for (method, route) in nodes[n].catchAll { updated[n].catchAll[method]?.composed = compose(route.handler) }
        }
        nodes = updated
    }

    private func compose(_ handler: @escaping Handler) -> Handler {
        var next: Handler = { request in
            do {
                return try await handler(request)
            } catch let error as HTTPError {
                return error.response
            }
        }
        for layer in middleware.reversed() {
            let inner = next
            next = { request in
                do {
                    return try await layer(request, inner)
                } catch let error as HTTPError {
                    return error.response
                }
            }
        }
        return next
    }

    // MARK: Matching

    /// The routes registered for a path, with the raw values of its parameters.
    struct Match {
        var routes: [HTTPMethod: Route]
        var values: [Substring]
        var rest: Substring?
    }

    func match(_ path: Substring) -> Match? {
        var values: [Substring] = []
        return match(path, from: path.startIndex, node: 0, values: &values)
    }

    /// The next non-empty `/`-separated segment of `path` at or after `index`, and where it ends.
    /// (Walking the path in place: splitting it into an array for every request showed in profiles.)
    private static func segment(of path: Substring, from index: Substring.Index) -> (Substring, Substring.Index)? {
        let bytes = path.utf8
        var start = index
        while start != bytes.endIndex && bytes[start] == UInt8(ascii: "/") { start = bytes.index(after: start) }
        guard start != bytes.endIndex else { return nil }
        let end = bytes[start...].firstIndex(of: UInt8(ascii: "/")) ?? bytes.endIndex
        return (path[start..<end], end)
    }

    private func match(_ path: Substring, from index: Substring.Index, node: Int, values: inout [Substring]) -> Match? {
        guard let (segment, next) = Self.segment(of: path, from: index) else {
            if !nodes[node].routes.isEmpty { return Match(routes: nodes[node].routes, values: values, rest: nil) }
            if !nodes[node].catchAll.isEmpty { return Match(routes: nodes[node].catchAll, values: values, rest: "") }
            return nil
        }
        if let child = nodes[node].literals[segment], let found = match(path, from: next, node: child, values: &values) {
            return found
        }
        if let child = nodes[node].parameter {
            values.append(segment)
            if let found = match(path, from: next, node: child, values: &values) { return found }
            values.removeLast()
        }
        if !nodes[node].catchAll.isEmpty {
            let rest = path[index...].split(separator: "/").joined(separator: "/")
            return Match(routes: nodes[node].catchAll, values: values, rest: Substring(rest))
        }
        return nil
    }

    // MARK: HTTPResponder

    public func maxBodySize(method: HTTPMethod, path: Substring) -> Int? {
        guard let found = match(path) else { return nil }
        return (found.routes[method] ?? (method == .head ? found.routes[.get] : nil))?.maxBodySize
    }

    public func requestBodyPolicy(method: HTTPMethod, path: Substring) -> RequestBodyPolicy? {
        guard let found = match(path), let route = found.routes[method] ?? (method == .head ? found.routes[.get] : nil)
        else { return nil }
        if let directory = route.spoolDirectory {
            return RequestBodyPolicy(maxBytes: route.maxBodySize ?? Int.max, spoolDirectory: directory)
        }
        return route.maxBodySize.map { RequestBodyPolicy(maxBytes: $0) }
    }

    public func respond(to request: HTTPRequest) async throws -> HTTPResponse {
        guard let found = match(request.path) else {
            return .error(.notFound, "not found")
        }
        if let route = found.routes[request.method] {
            return try await run(route, found, request)
        }
        if request.method == .head, let route = found.routes[.get] {
            var response = try await run(route, found, request)
            if !response.headers.contains("Content-Length") && response.bodyLength > 0 {
                response.headers["Content-Length"] = String(response.bodyLength)
            }
            response.body = []
            response.file = nil
            return response
        }
        let allow = Self.allowValue(found.routes.keys)
        if request.method == .options {
            return HTTPResponse(status: .noContent, headers: ["Allow": allow])
        }
        var response = HTTPResponse.error(.methodNotAllowed, "method \(request.method) is not allowed here; allowed: \(allow)")
        response.headers["Allow"] = allow
        return response
    }

    private func run(_ route: Route, _ found: Match, _ request: HTTPRequest) async throws -> HTTPResponse {
        var request = request
        for (name, value) in zip(route.parameterNames, found.values) {
            request.parameters[name] = FormURLEncoding.percentDecode(value)
        }
        if let name = route.catchAllName {
            request.parameters[name] = FormURLEncoding.percentDecode(found.rest ?? "")
        }
        return try await route.composed(request)
    }

    /// The `Allow` value: the registered methods, HEAD with GET, and OPTIONS, in a stable order.
    static func allowValue(_ methods: Dictionary<HTTPMethod, Route>.Keys) -> String {
        var set = Set(methods.map(\.rawValue))
        if set.contains("GET") { set.insert("HEAD") }
        set.insert("OPTIONS")
        let order = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
        let known = order.filter { set.contains($0) }
        let others = set.subtracting(order).sorted()
        return (known + others).joined(separator: ", ")
    }
}
