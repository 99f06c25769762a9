import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisSQLite

/// The in-process measurements of a running node, shared by the HTTP server (status counts and
/// latency), the inbox route (activities received, time to verify and persist) and the inbox
/// processor (time to process one activity). Everything else `/metrics` reports is read from the
/// database at scrape time (see ``MetricsExporter``).
///
/// All recording is lock-free: relaxed atomic adds.
public final class NodeMetrics: Sendable {
    /// Responses by status and request latency, filled in by the HTTP server.
    public let http: HTTPServerMetrics
    /// Activities accepted into the inbox (202), redeliveries of known ones included.
    public let inboxReceived = MetricCounter()
    /// Time to answer an inbox POST: signature check, key lookup and persisting.
    public let inboxReceive = LatencyHistogram()
    /// Time a handler took to process one activity after it was queued.
    public let inboxProcessing = LatencyHistogram()
    /// Reads the read cache answered (thread lists, thread pages, search), by route family.
    public let readCacheHits = ReadCacheCounters()
    /// Cacheable reads built from the database: nothing kept, or kept but out of date.
    public let readCacheMisses = ReadCacheCounters()
    /// When this process started, for `process_start_time_seconds`.
    public let startedAt: Date

    public init(httpShards: Int = HTTPServerConfiguration.coreCount, startedAt: Date = Date()) {
        self.http = HTTPServerMetrics(shards: httpShards)
        self.startedAt = startedAt
    }

    /// Answers an inbox POST through `body`, timing it and counting it when accepted.
    func receive(_ body: () async -> HTTPResponse) async -> HTTPResponse {
        let response = await Self.time(inboxReceive, body)
        if response.status == .accepted { inboxReceived.increment() }
        return response
    }

    /// Runs `body` and records its duration in `histogram`.
    static func time<T>(_ histogram: LatencyHistogram, _ body: () async throws -> T) async rethrows -> T {
        let clock = ContinuousClock()
        let start = clock.now
        defer { histogram.observe(clock.now - start) }
        return try await body()
    }
}

/// One counter per kind of cached read.
public final class ReadCacheCounters: Sendable {
    public enum Route: String, CaseIterable, Sendable {
        case lists, pages, search
    }

    private let counters = Route.allCases.map { _ in MetricCounter() }

    public init() {}

    public func increment(_ route: Route) { counters[Route.allCases.firstIndex(of: route) ?? 0].increment() }

    public func current(_ route: Route) -> UInt64 { counters[Route.allCases.firstIndex(of: route) ?? 0].current }
}

/// An inbox handler whose processing time goes into ``NodeMetrics/inboxProcessing``.
struct MeasuredActivityHandler: ActivityHandler {
    let inner: any ActivityHandler
    let histogram: LatencyHistogram

    var activityTypes: Set<String> { inner.activityTypes }

    func handle(_ activity: InboundActivity, commit: InboxCommit) async throws {
        try await NodeMetrics.time(histogram) { try await inner.handle(activity, commit: commit) }
    }

    func needsProcessing(_ activity: InboundActivity, db: Connection) throws -> Bool {
        try inner.needsProcessing(activity, db: db)
    }
}
