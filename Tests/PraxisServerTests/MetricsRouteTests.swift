import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisServer
import PraxisStorage
import PraxisTestSupport
import Testing

#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `GET /metrics`: access control, the exposition grammar, and values that follow activity.
@Suite struct MetricsRouteTests {
    let api: APITestNode

    init() throws { api = try APITestNode() }

    func scrape(from address: String = "127.0.0.1", token: String? = nil, headers extra: HTTPHeaders = [:]) async throws
        -> HTTPResponse
    {
        var headers: HTTPHeaders = ["Host": "praxis.test"]
        for (name, value) in extra { headers[name] = value }
        if let token { headers["Authorization"] = "Bearer \(token)" }
        return try await api.router.respond(
            to: HTTPRequest(method: .get, target: "/metrics", headers: headers, remoteAddress: address))
    }

    @Test func loopbackMayScrapeWithoutAToken() async throws {
        for address in ["127.0.0.1", "127.9.9.9", "::1", "::ffff:127.0.0.1"] {
            let response = try await scrape(from: address)
            #expect(response.status == .ok, "\(address)")
            #expect(response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8")
        }
    }

    @Test func otherAddressesAndProxiedRequestsNeedAnAdminToken() async throws {
        let outside = try await scrape(from: "203.0.113.5")
        #expect(outside.status == .forbidden)
        #expect(String(decoding: outside.body, as: UTF8.self).contains("metricsAllowFrom"))
        // Behind a reverse proxy on the same host everything comes from loopback.
        #expect(try await scrape(headers: ["X-Forwarded-For": "203.0.113.5"]).status == .forbidden)
        #expect(try await scrape(headers: ["Forwarded": "for=203.0.113.5"]).status == .forbidden)
        let admin = try await api.signIn("ada")
        #expect(try await scrape(from: "203.0.113.5", token: admin).status == .ok)
        #expect(try await scrape(token: admin, headers: ["X-Forwarded-For": "203.0.113.5"]).status == .ok)
        // A member's token is judged as such, even from loopback.
        #expect(try await scrape(token: try await api.signIn("bob")).status == .forbidden)
        #expect(try await scrape(token: try await api.signIn("mo")).status == .forbidden)
        let bad = try await scrape(token: String(repeating: "A", count: 43))
        #expect(bad.status == .unauthorized)
        #expect(bad.headers["WWW-Authenticate"]?.hasPrefix("Bearer") == true)
    }

    @Test func configuredRangesReplaceLoopback() throws {
        let access = try MetricsAccess(allowFrom: ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7"])
        func allows(_ address: String) -> Bool {
            access.allows(HTTPRequest(method: .get, target: "/metrics", remoteAddress: address))
        }
        #expect(allows("10.200.3.4"))
        #expect(allows("2001:db8:1::5"))
        #expect(allows("192.0.2.7"))
        #expect(!allows("192.0.2.8"))
        #expect(!allows("11.0.0.1"))
        #expect(!allows("127.0.0.1"))
        #expect(!allows("not an address"))
        #expect(throws: StorageError.self) { try MetricsAccess(allowFrom: ["10.0.0.0/33"]) }
        #expect(throws: StorageError.self) { try MetricsAccess(allowFrom: ["localhost"]) }
    }

    /// Saves `change` applied to the node's configuration and checks that a node refuses to start
    /// on it, with a `StorageError` whose message contains each of `mentions`.
    func expectNodeRefuses(_ change: (inout NodeConfiguration) -> Void, mentioning mentions: [String]) throws {
        var configuration = api.store.configuration
        change(&configuration)
        try configuration.save(to: api.node.directory)
        do {
            _ = try PraxisNode(directory: api.node.directory, listen: .init(host: "127.0.0.1", port: 0))
            Issue.record("the node started with a configuration naming \(mentions)")
        } catch let error as StorageError {
            for mention in mentions { #expect("\(error)".contains(mention)) }
        }
    }

    @Test func aBadAllowListStopsTheNodeWithTheEntryNamed() throws {
        try expectNodeRefuses({ $0.metricsAllowFrom = ["10.0.0.0/8", "everyone"] }, mentioning: ["everyone"])
    }

    @Test func aReadCacheSizeOutOfRangeStopsTheNode() throws {
        for bad in [-1, 70_000] {
            try expectNodeRefuses({ $0.readCacheMegabytes = bad }, mentioning: ["readCacheMegabytes", "\(bad)"])
        }
    }

    @Test func everyLineFollowsTheExpositionGrammar() async throws {
        try await seedQueues()
        api.federation.metrics.http.record(shard: 0, status: 200, nanoseconds: 2_000_000)
        let text = String(decoding: try await scrape().body, as: UTF8.self)
        let problems = PrometheusGrammar.problems(in: text)
        #expect(problems.isEmpty, "\(problems)")
        for name in [
            "praxis_http_requests_total", "praxis_http_request_duration_seconds", "praxis_inbox_received_total",
            "praxis_inbox_processing_seconds", "praxis_inbox_queue_depth", "praxis_delivery_queue_depth",
            "praxis_delivery_oldest_age_seconds", "praxis_delivery_failed", "praxis_dead_letters", "praxis_database_bytes",
            "process_resident_memory_bytes", "praxis_read_cache_hits_total", "praxis_read_cache_misses_total",
        ] {
            #expect(text.contains("# TYPE \(name) "), "missing \(name)")
        }
    }

    @Test func valuesFollowActivity() async throws {
        let before = PrometheusGrammar.values(in: String(decoding: try await scrape().body, as: UTF8.self))
        #expect(before["praxis_inbox_queue_depth"] == 0)
        #expect(before["praxis_dead_letters"] == 0)
        #expect(before["praxis_inbox_receive_seconds_count"] == 0)
        #expect(before.keys.contains { $0.hasPrefix("praxis_delivery_queue_depth{") } == false)
        #expect(try #require(before["praxis_database_bytes"]) > 0)

        try await seedQueues()
        // An unsigned POST to the inbox is refused (401), but its handling is still timed.
        let post = try await api.router.respond(to: HTTPRequest(
            method: .post, target: "/inbox", headers: ["Host": "praxis.test", "Content-Type": "application/activity+json"],
            body: Array("{}".utf8)))
        #expect(post.status == .unauthorized)

        let after = PrometheusGrammar.values(in: String(decoding: try await scrape().body, as: UTF8.self))
        #expect(after["praxis_inbox_queue_depth"] == 1)
        #expect(after["praxis_inbox_oldest_age_seconds"].map { $0 >= 60 } == true)
        #expect(after["praxis_dead_letters"] == 1)
        #expect(after["praxis_delivery_queue_depth{destination=\"peer.test\"}"] == 2)
        #expect(after["praxis_delivery_oldest_age_seconds{destination=\"peer.test\"}"].map { $0 >= 120 } == true)
        #expect(after["praxis_inbox_receive_seconds_count"] == 1)
        #expect(after["praxis_inbox_received_total"] == 0)
    }

    /// One pending inbox activity received a minute ago, one dead letter, two deliveries to
    /// peer.test queued two minutes ago.
    func seedQueues() async throws {
        let now = Date()
        try await api.store.database.write { db in
            let inbox = InboxRepository(db)
            _ = try inbox.insert(activityID: "https://peer.test/a/1", actorID: "https://peer.test/users/p", originDomain: "peer.test",
                                 recipient: "/inbox", body: Array("{}".utf8), receivedAt: now.addingTimeInterval(-60))
            _ = try inbox.insert(activityID: "https://peer.test/a/2", actorID: "https://peer.test/users/p", originDomain: "peer.test",
                                 recipient: "/inbox", body: Array("{}".utf8), receivedAt: now)
            if let dead = try inbox.pending(limit: 10).last { try inbox.deadLetter(dead, reason: "unknown type", now: now) }
            try DeliveryQueue.enqueue(
                OutgoingActivity(activityID: "https://praxis.test/activities/1", orderingKey: "k", body: Array("{}".utf8),
                                 signer: "ana"),
                to: ["https://peer.test/inbox", "https://peer.test/users/p/inbox"], db: db, now: now.addingTimeInterval(-120))
        }
    }
}

/// Counts of a real node: every response through the server shows up in `/metrics`.
@Suite struct NodeMetricsTests {
    @Test func servedRequestsAndProcessedActivitiesAreCounted() async throws {
        let node = try TestNode(domain: "praxis.test")
        // Left queued "by a previous run" by a trusted node: processed, and refused (a Like needs an
        // object), at start.
        try await node.store.database.write { db in
            try TrustRepository(db).set(TrustEntry(domain: "peer.test", level: .trusted, note: "metrics test"))
            _ = try InboxRepository(db).insert(
                activityID: "https://peer.test/a/9", actorID: "https://peer.test/users/p", originDomain: "peer.test",
                recipient: "/inbox",
                body: Array(#"{"id":"https://peer.test/a/9","type":"Like","actor":"https://peer.test/users/p"}"#.utf8))
        }
        let praxis = try PraxisNode(directory: node.directory, listen: .init(host: "127.0.0.1", port: freeLoopbackPort()))
        try praxis.start()
        let base = "http://127.0.0.1:\(praxis.server.port)"
        func get(_ path: String) async throws -> (Int, String) {
            let (data, response) = try await URLSession.shared.data(from: try #require(URL(string: base + path)))
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        var statuses: [Int] = []
        var text = ""
        var processed: [String: Double] = [:]
        do {
            for path in ["/healthz", "/healthz", "/users/nobody"] { statuses.append(try await get(path).0) }
            let scraped = try await get("/metrics")
            statuses.append(scraped.0)
            text = scraped.1
            let deadline = ContinuousClock.now + .seconds(10)
            repeat {
                processed = PrometheusGrammar.values(in: try await get("/metrics").1)
                if processed["praxis_dead_letters"] == 1 { break }
                try await Task.sleep(for: .milliseconds(20))
            } while ContinuousClock.now < deadline
        } catch {
            await praxis.shutdown(gracePeriod: .milliseconds(100))
            throw error
        }
        await praxis.shutdown(gracePeriod: .milliseconds(100))
        #expect(statuses == [200, 200, 404, 200])
        #expect(PrometheusGrammar.problems(in: text).isEmpty)
        let values = PrometheusGrammar.values(in: text)
        // The scrape itself is answered after its text was rendered, so it is not in it.
        #expect(values["praxis_http_requests_total{code=\"200\"}"] == 2)
        #expect(values["praxis_http_requests_total{code=\"404\"}"] == 1)
        #expect(values["praxis_http_request_duration_seconds_count"] == 3)
        #expect(processed["praxis_dead_letters"] == 1)
        #expect(processed["praxis_inbox_queue_depth"] == 0)
        #expect(processed["praxis_inbox_processing_seconds_count"] == 1)
    }
}

/// A checker for the Prometheus text exposition format 0.0.4.
enum PrometheusGrammar {
    /// Every line that breaks the grammar, or a sample whose family was not declared first, or
    /// a histogram whose buckets are not cumulative up to its count.
    static func problems(in text: String) -> [String] {
        let help = #/^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) ([^\\\n]|\\\\|\\n)*$/#
        let type = #/^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram|summary|untyped)$/#
        let sample =
            #/^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*"(,[a-zA-Z_][a-zA-Z0-9_]*="([^"\\\n]|\\\\|\\"|\\n)*")*\})? ([-+]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][-+]?[0-9]+)?|[-+]?Inf|NaN)$/#

        var problems: [String] = []
        var declared: [String: String] = [:]
        var buckets: [String: [Double]] = [:]
        var counts: [String: Double] = [:]
        guard text.hasSuffix("\n") else { return ["the exposition must end with a line feed"] }
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let line = String(line)
            if line.hasPrefix("# HELP ") {
                if line.wholeMatch(of: help) == nil { problems.append("bad HELP: \(line)") }
            } else if line.hasPrefix("# TYPE ") {
                guard let match = line.wholeMatch(of: type) else {
                    problems.append("bad TYPE: \(line)")
                    continue
                }
                let name = String(match.1)
                if declared[name] != nil { problems.append("TYPE twice: \(name)") }
                declared[name] = String(match.2)
            } else if let match = line.wholeMatch(of: sample) {
                let name = String(match.1)
                var family = name
                for suffix in ["_bucket", "_sum", "_count"] where name.hasSuffix(suffix) {
                    let base = String(name.dropLast(suffix.count))
                    if declared[base] == "histogram" || declared[base] == "summary" { family = base }
                }
                if declared[family] == nil { problems.append("sample before its TYPE: \(line)") }
                let value = Double(String(match.6).replacingOccurrences(of: "Inf", with: "infinity")) ?? .nan
                if name.hasSuffix("_bucket") { buckets[family, default: []].append(value) }
                if name.hasSuffix("_count") { counts[family] = value }
            } else {
                problems.append("not a valid line: \(line)")
            }
        }
        for (family, values) in buckets {
            if values != values.sorted() { problems.append("\(family) buckets are not cumulative") }
            if values.last != counts[family] { problems.append("\(family) +Inf bucket differs from its count") }
        }
        return problems
    }

    /// Sample values by their full series name (`name{labels}`).
    static func values(in text: String) -> [String: Double] {
        var values: [String: Double] = [:]
        for line in text.split(separator: "\n") where !line.hasPrefix("#") {
            guard let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...]) else { continue }
            values[String(line[..<space])] = value
        }
        return values
    }
}
