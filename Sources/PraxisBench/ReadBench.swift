import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisSQLite
import PraxisStorage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `praxis-bench read`: a real node holding a million posts answers thread lists, thread pages
/// and searches from 64 keep-alive connections of one signed-in member; prints requests/s and
/// latency percentiles beside the aims of issue 7 (p99 under 10 ms for lists and thread pages,
/// p95 under 25 ms for search) and the machine's load average, which matters on a shared machine.
///
/// The database is seeded once and kept under `.build/bench-read-<posts>-v<seed version>/`:
/// direct SQL inserts in large transactions into the `objects` table the node uses, so its
/// triggers maintain thread roots, last activity and reply counts and mark every row for the search
/// index, which ``SearchIndex/refresh(limit:plainText:)`` (what the node runs) then fills. A second
/// run with the same `--posts` starts at once.
enum ReadBench {
    /// Changes whenever the generated data changes, so an older cache is never reused.
    static let seedVersion = 1
    static let domain = "127.0.0.1:7391"
    static let password = "bench password 123"

    struct Options {
        var posts = 1_000_000
        var communities = 100
        var connections = 64
        var duration = 10.0
        var warmup = 3.0
        var threads = 2
        var cache: String?
        /// Whether the node's read cache is on (`--no-cache` turns it off: every request is built
        /// from the database, which is what a first visit costs).
        var readCache = true
        /// The node's read cache budget in MiB (`--read-cache-mb`); nil keeps the node's default.
        var readCacheMegabytes: Int?
        /// Runs to time: lists, pages, search (all by default).
        var only: Set<String> = ["lists", "pages", "search"]
        /// After each run, time every distinct request once, one at a time, and print the slowest
        /// this many (`--slowest N`; with `--no-cache` this shows what a first visit costs).
        var slowest = 0
    }

    struct Aim {
        var label: String
        var percentile: Double
        var limitMillis: Double
    }

    static func run(_ arguments: [String]) async {
        var options = Options()
        var rest = arguments[...]
        func number(_ option: String, _ range: ClosedRange<Int>) -> Int {
            guard let text = rest.popFirst(), let n = Int(text), range.contains(n) else {
                fail("\(option) needs a number from \(range.lowerBound) to \(range.upperBound)")
            }
            return n
        }
        while let option = rest.popFirst() {
            switch option {
            case "--posts": options.posts = number(option, 1_000...5_000_000)
            case "--communities": options.communities = number(option, 1...1_000)
            case "--connections": options.connections = number(option, 1...1_000)
            case "--duration": options.duration = Double(number(option, 1...600))
            case "--warmup": options.warmup = Double(number(option, 0...60))
            case "--threads": options.threads = number(option, 1...16)
            case "--only":
                guard let name = rest.popFirst(), ["lists", "pages", "search"].contains(name) else {
                    fail("--only needs lists, pages or search")
                }
                options.only = [name]
            case "--no-cache": options.readCache = false
            case "--slowest": options.slowest = number(option, 1...1_000)
            case "--read-cache-mb": options.readCacheMegabytes = number(option, 1...16_384)
            case "--cache":
                guard let path = rest.popFirst(), !path.isEmpty else { fail("--cache needs a folder") }
                options.cache = path
            default:
                fail(
                    "unknown option \(option) (read takes --posts N, --communities N, --connections N, --duration S, "
                        + "--warmup S, --threads N, --cache DIR, --no-cache, --read-cache-mb N, --only lists|pages|search, "
                        + "--slowest N)")
            }
        }
        do {
            try await measure(options)
        } catch {
            fail("\(error)")
        }
    }

    static func measure(_ options: Options) async throws {
        let cache = options.cache
            ?? FileManager.default.currentDirectoryPath + "/.build/bench-read-\(options.posts)-c\(options.communities)-v\(seedVersion)"
        let directory = DataDirectory(path: cache + "/node")
        let marker = cache + "/seeded"
        if FileManager.default.fileExists(atPath: marker) {
            print("read: reusing the seeded node in \(cache)")
        } else {
            try? FileManager.default.removeItem(atPath: cache)
            try FileManager.default.createDirectory(atPath: cache, withIntermediateDirectories: true)
            let started = ContinuousClock.now
            try ReadSeed(directory: directory, posts: options.posts, communities: options.communities).seed()
            try Data("seed version \(seedVersion), \(options.posts) posts\n".utf8).write(to: URL(fileURLWithPath: marker))
            print("  seeded in \(String(format: "%.0f", (ContinuousClock.now - started).benchSeconds)) s")
        }

        // 64 connections from one address are one client to the per-address API limit; the bench
        // measures reads, so its node lifts that rate (rewritten on every run, cached seeds included).
        var configuration = try NodeConfiguration.load(from: directory)
        var limits = configuration.effectiveLimits
        limits.apiPerAddress = .init(perSecond: 1_000_000, burst: 1_000_000)
        configuration.limits = limits
        configuration.readCacheMegabytes = options.readCache ? options.readCacheMegabytes : 0
        try configuration.save(to: directory)
        let port = try InboxBench.freePort()
        let node = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: port), log: { _ in })
        try node.start()
        defer { Task { await node.shutdown(gracePeriod: .seconds(1)) } }
        let base = "http://127.0.0.1:\(port)"
        let client = node.federation.client
        let signIn = try await client.send(HTTPClientRequest(
            method: .post, url: base + "/api/v1/auth/sign-in", headers: ["Content-Type": "application/json"],
            body: (["username": .string(ReadSeed.reader), "password": .string(password)] as JSON).serializedBytes()))
        guard let token = try JSON.parse(signIn.body)["token"]?.stringValue else {
            throw BenchFailure("sign-in failed: \(signIn.status.code) \(signIn.text)")
        }
        let auth = "Authorization: Bearer \(token)"

        let (objects, communities) = try await node.store.database.read { db in
            (try db.scalar(Int.self, "SELECT count(*) FROM objects") ?? 0,
             try CommunityRepository(db).all().map(\.actor.username).sorted())
        }
        print(
            "read: \(objects) posts in \(communities.count) communities, \(options.connections) keep-alive connections "
                + "of one member, \(Int(options.warmup)) s warm-up then \(Int(options.duration)) s per run, read cache "
                + (options.readCache
                    ? "on, \(configuration.readCacheBytes >> 20) MiB (each run repeats about 3,000 distinct requests: "
                        + "mostly cache hits while they fit)" : "off"))

        var random = SplitMix64(seed: 7)
        let lists = try await listRequests(
            communities: communities, base: base, token: token, client: client, random: &random)
        let details = detailRequests(posts: options.posts, random: &random)
        let searches = searchRequests(communities: communities, random: &random)

        let runs: [(String, [String], Aim, Aim)] = [
            ("lists", lists, Aim(label: "p50", percentile: 0.5, limitMillis: .infinity),
             Aim(label: "p99", percentile: 0.99, limitMillis: 10)),
            ("pages", details, Aim(label: "p50", percentile: 0.5, limitMillis: .infinity),
             Aim(label: "p99", percentile: 0.99, limitMillis: 10)),
            ("search", searches, Aim(label: "p50", percentile: 0.5, limitMillis: .infinity),
             Aim(label: "p95", percentile: 0.95, limitMillis: 25)),
        ]
        var missed = false
        for (label, paths, low, high) in runs where options.only.contains(label) {
            // Every path must answer 200 before it is timed: a 4xx is fast and would flatter the figures.
            for path in Set(paths.prefix(20)) {
                let response = try await client.send(HTTPClientRequest(
                    method: .get, url: base + path, headers: ["Authorization": "Bearer \(token)"]))
                guard response.status.code == 200 else {
                    throw BenchFailure("GET \(path) answered \(response.status.code): \(response.text.prefix(300))")
                }
            }
            let generator = LoadGenerator(
                port: port, requests: paths.map { LoadGenerator.get($0, headers: [auth]) }, connections: options.connections,
                threads: options.threads)
            let route: ReadCacheCounters.Route = label == "lists" ? .lists : label == "pages" ? .pages : .search
            let cacheBefore = (node.federation.metrics.readCacheHits.current(route), node.federation.metrics.readCacheMisses.current(route))
            let cpuBefore = processCPUSeconds()
            let result = try await Task.detached { try generator.run(warmup: options.warmup, duration: options.duration) }.value
            // Process CPU (node and load generator) over warm-up and run, per request answered
            // (the warm-up's requests estimated at the run's rate).
            let cpuPerRequest = (processCPUSeconds() - cpuBefore)
                / max(1, Double(result.requests) * (options.warmup + result.seconds) / result.seconds)
            let load = loadAverage()
            // Share of answers (warm-up included) the node's read cache served, from its counters.
            let hits = node.federation.metrics.readCacheHits.current(route) - cacheBefore.0
            let misses = node.federation.metrics.readCacheMisses.current(route) - cacheBefore.1
            let hitShare = hits + misses == 0 ? "cache off" : String(format: "cache hits %.0f%%", 100 * Double(hits) / Double(hits + misses))
            func millis(_ fraction: Double) -> Double { Double(result.histogram.percentile(fraction)) / 1000 }
            let aim = millis(high.percentile)
            // Percentiles cover answered requests only: a run where some connections never got an
            // answer (requests still waiting at the end) cannot meet the aim, whatever they say.
            let ok = result.requests >= options.connections && aim < high.limitMillis && result.errors == 0
            missed = missed || !ok
            print(
                "  \((label == "search" ? label : "thread " + label).padding(toLength: 13, withPad: " ", startingAt: 0)) "
                    + "\(String(format: "%6.0f", Double(result.requests) / result.seconds)) req/s  "
                    + "\(low.label) \(String(format: "%5.1f", millis(low.percentile))) ms  "
                    + "\(high.label) \(String(format: "%5.1f", aim)) ms (aim < \(Int(high.limitMillis)) ms: \(ok ? "met" : "MISSED"))  "
                    + "CPU \(String(format: "%.2f", cpuPerRequest * 1000)) ms/req  \(hitShare)  errors \(result.errors)  load average \(load)")
            if options.slowest > 0 {
                try await printSlowest(options.slowest, of: paths, base: base, token: token, client: client)
            }
        }
        print("  (\(ProcessInfo.processInfo.activeProcessorCount) cores; the load generator runs in this process)")
        if missed { exit(1) }
    }

    /// Times each distinct path once, one request at a time, and prints the slowest `count` with
    /// their latency and the median of all, to see which kinds of request cost the most.
    static func printSlowest(_ count: Int, of paths: [String], base: String, token: String, client: HTTPClient)
        async throws
    {
        var timings: [(Double, String)] = []
        for path in Set(paths) {
            let started = ContinuousClock.now
            let response = try await client.send(HTTPClientRequest(
                method: .get, url: base + path, headers: ["Authorization": "Bearer \(token)"]))
            guard response.status.code == 200 else {
                throw BenchFailure("GET \(path) answered \(response.status.code): \(response.text.prefix(300))")
            }
            timings.append(((ContinuousClock.now - started).benchSeconds * 1000, path))
        }
        timings.sort { $0.0 > $1.0 }
        let median = timings[timings.count / 2].0
        let p95 = timings[timings.count / 20].0
        print("    \(timings.count) distinct requests one at a time: median \(String(format: "%.1f", median)) ms, "
            + "p95 \(String(format: "%.1f", p95)) ms; slowest:")
        for (millis, path) in timings.prefix(count) {
            print("    \(String(format: "%8.1f", millis)) ms  \(path.removingPercentEncoding ?? path)")
        }
    }

    /// CPU time (user and system) this process has used so far, in seconds.
    static func processCPUSeconds() -> Double {
        var usage = rusage()
        getrusage(RUSAGE_SELF.rawValue, &usage)
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1_000_000
    }

    /// The 1, 5 and 15 minute load averages, as `/proc/loadavg` gives them.
    static func loadAverage() -> String {
        guard let text = try? String(contentsOfFile: "/proc/loadavg", encoding: .utf8) else { return "unknown" }
        return text.split(separator: " ").prefix(3).joined(separator: " ")
    }

    /// Thread lists of random communities in the three orders; a quarter go a few pages deep with
    /// the cursor an earlier page returned.
    static func listRequests(communities: [String], base: String, token: String, client: HTTPClient,
                             random: inout SplitMix64) async throws -> [String] {
        let sorts = ["latest", "newest", "unanswered"]
        var paths: [String] = []
        for _ in 0..<1_500 {
            let name = communities[random.below(communities.count)]
            paths.append("/api/v1/communities/\(name)/threads?sort=\(sorts[random.below(sorts.count)])")
        }
        for _ in 0..<100 {
            let name = communities[random.below(communities.count)]
            var path = "/api/v1/communities/\(name)/threads?sort=\(sorts[random.below(sorts.count)])"
            for _ in 0..<(1 + random.below(8)) {
                let response = try await client.send(HTTPClientRequest(
                    method: .get, url: base + path, headers: ["Authorization": "Bearer \(token)"]))
                guard response.status.code == 200, let next = try JSON.parse(response.body)["next"]?.stringValue else { break }
                path = path.split(separator: "&cursor=").first.map(String.init) ?? path
                path += "&cursor=" + FormURLEncoding.percentEncode(next)
                paths.append(path)
            }
        }
        random.shuffle(&paths)
        return paths
    }

    /// Thread pages of random posts: mostly a thread's root, some a reply (answered with its thread).
    static func detailRequests(posts: Int, random: inout SplitMix64) -> [String] {
        (0..<3_000).map { _ in
            "/api/v1/threads/" + FormURLEncoding.percentEncode(ReadSeed.objectID(random.below(posts)))
        }
    }

    /// Searches for one or two words, most of them common, some prefixes, some Chinese, some with
    /// filters (community, language, kind, answered).
    static func searchRequests(communities: [String], random: inout SplitMix64) -> [String] {
        (0..<3_000).map { _ in
            let language = ReadSeed.languages[random.weighted(ReadSeed.languageWeights)]
            var terms: [String] = []
            if language.code == "zh" {
                terms.append(language.word(&random))
            } else {
                for _ in 0..<(1 + random.below(2)) { terms.append(language.word(&random)) }
                if random.below(10) == 0, terms[0].count >= 2 { terms[0] = String(terms[0].prefix(4)) + "*" }
            }
            var path = "/api/v1/search?q=" + FormURLEncoding.percentEncode(terms.joined(separator: " "))
            switch random.below(10) {
            case 0, 1: path += "&community=" + communities[random.below(communities.count)]
            case 2: path += "&language=" + language.code
            case 3: path += "&kind=question"
            case 4: path += "&kind=question&answered=true"
            default: break
            }
            return path
        }
    }
}

/// A small, fast, seedable generator, so the data and the request mix are the same on every run.
struct SplitMix64 {
    var state: UInt64
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A number in `0..<bound` (bound > 0).
    mutating func below(_ bound: Int) -> Int { Int(next() % UInt64(max(bound, 1))) }

    /// A fraction in [0, 1).
    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }

    /// An index chosen with probability proportional to its weight.
    mutating func weighted(_ weights: [Int]) -> Int {
        var pick = below(weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if pick < weight { return index }
            pick -= weight
        }
        return weights.count - 1
    }

    /// An index in `0..<count` skewed towards 0 (roughly Zipf-like): a few words are very common.
    mutating func skewed(_ count: Int, exponent: Double = 3) -> Int { min(Int(pow(unit(), exponent) * Double(count)), count - 1) }

    mutating func shuffle<T>(_ values: inout [T]) {
        guard values.count > 1 else { return }
        for index in stride(from: values.count - 1, to: 0, by: -1) { values.swapAt(index, below(index + 1)) }
    }
}
