import Foundation
import PraxisFederation
import PraxisHTTP
import PraxisSQLite
import PraxisStorage

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Renders `/metrics`: the in-process measurements of ``NodeMetrics`` plus gauges read from the
/// database at scrape time (queues, dead letters, size) and from the process (memory).
///
/// Label cardinality stays bounded: `destination` labels name only nodes with queued or failed
/// deliveries, a failing lane, or an entry in the trust list, at most ``maxDestinations`` of them
/// (the most backed-up first); the rest are summed under `destination="_other"`.
public struct MetricsExporter: Sendable {
    public static let maxDestinations = 50
    /// The label of the lanes beyond ``maxDestinations``; not a valid host name, so it cannot
    /// collide with a real destination.
    public static let otherDestination = "_other"

    let store: NodeStore
    let metrics: NodeMetrics

    public init(store: NodeStore, metrics: NodeMetrics) {
        self.store = store
        self.metrics = metrics
    }

    /// What the database tells at one instant.
    struct DatabaseFigures: Sendable {
        var inboxPending = 0
        var inboxOldestPending: Date?
        var deadLetters = 0
        var lanes: [DeliveryLaneStats] = []
        var databaseBytes: Int64 = 0
    }

    /// The exposition text at `now`.
    public func render(now: Date = Date()) async throws -> String {
        let figures = try await store.database.read { db in try Self.databaseFigures(db: db, now: now) }
        let walBytes = (try? FileManager.default.attributesOfItem(atPath: store.directory.databaseFile.path + "-wal"))?[.size]
            as? Int64 ?? 0
        var text = PrometheusText()
        Self.writeHTTP(metrics.http, to: &text)
        Self.writeInbox(metrics, figures, now: now, to: &text)
        Self.writeReadCache(metrics, to: &text)
        Self.writeDelivery(figures.lanes, to: &text)
        text.family("praxis_database_bytes", type: .gauge, help: "Size of the SQLite database and its write-ahead log, in bytes.")
        text.sample("praxis_database_bytes", value: Double(figures.databaseBytes + walBytes))
        Self.writeProcess(startedAt: metrics.startedAt, to: &text)
        return text.output
    }

    static func databaseFigures(db: Connection, now: Date) throws -> DatabaseFigures {
        var figures = DatabaseFigures()
        figures.inboxPending = try InboxRepository(db).pendingCount()
        figures.inboxOldestPending = try db.scalar(
            Int64.self, "SELECT received_at FROM inbox_activities WHERE state = 'pending' ORDER BY seq LIMIT 1"
        ).map { Date(timeIntervalSince1970: TimeInterval($0)) }
        figures.deadLetters = try db.scalar(Int.self, "SELECT count(*) FROM dead_letters") ?? 0
        let trusted = Set(try TrustRepository(db).all().map(\.domain))
        figures.lanes = try DeliveryQueue.stats(db: db, now: now).lanes.filter { lane in
            lane.pending > 0 || lane.failed > 0 || lane.consecutiveFailures > 0 || trusted.contains(lane.lane)
        }
        figures.databaseBytes = try HealthRepository(db).databaseBytes()
        return figures
    }

    static func writeHTTP(_ http: HTTPServerMetrics, to text: inout PrometheusText) {
        text.family("praxis_http_requests_total", type: .counter, help: "HTTP responses sent, by status code.")
        for (code, count) in http.statusCounts().sorted(by: { $0.key < $1.key }) {
            text.sample("praxis_http_requests_total", labels: [("code", String(code))], value: count)
        }
        text.histogram(
            "praxis_http_request_duration_seconds",
            help: "Time from the first byte of a request to its response being queued for sending.", http.latency())
    }

    static func writeReadCache(_ metrics: NodeMetrics, to text: inout PrometheusText) {
        for (name, counters, help) in [
            ("praxis_read_cache_hits_total", metrics.readCacheHits, "Cacheable API reads answered from the read cache, by route."),
            ("praxis_read_cache_misses_total", metrics.readCacheMisses,
             "Cacheable API reads built from the database (nothing kept, or kept but out of date), by route."),
        ] {
            text.family(name, type: .counter, help: help)
            for route in ReadCacheCounters.Route.allCases {
                text.sample(name, labels: [("route", route.rawValue)], value: counters.current(route))
            }
        }
    }

    static func writeInbox(_ metrics: NodeMetrics, _ figures: DatabaseFigures, now: Date, to text: inout PrometheusText) {
        text.family("praxis_inbox_received_total", type: .counter, help: "Activities accepted into the inbox (202 Accepted).")
        text.sample("praxis_inbox_received_total", value: metrics.inboxReceived.current)
        text.histogram(
            "praxis_inbox_receive_seconds", help: "Time to answer an inbox POST: signature check, key lookup and persisting.",
            metrics.inboxReceive.snapshot())
        text.histogram(
            "praxis_inbox_processing_seconds", help: "Time to process one queued activity.",
            metrics.inboxProcessing.snapshot())
        text.family("praxis_inbox_queue_depth", type: .gauge, help: "Activities received and not processed yet.")
        text.sample("praxis_inbox_queue_depth", value: figures.inboxPending)
        text.family(
            "praxis_inbox_oldest_age_seconds", type: .gauge, help: "Age of the oldest activity waiting to be processed (0 when none).")
        text.sample(
            "praxis_inbox_oldest_age_seconds",
            value: figures.inboxOldestPending.map { max(0, now.timeIntervalSince($0).rounded(.down)) } ?? 0)
        text.family("praxis_dead_letters", type: .gauge, help: "Activities that could not be processed, kept for the operator.")
        text.sample("praxis_dead_letters", value: figures.deadLetters)
    }

    /// Per-destination gauges, the busiest ``maxDestinations`` lanes by name and the rest summed.
    static func writeDelivery(_ lanes: [DeliveryLaneStats], to text: inout PrometheusText) {
        let ordered = lanes.sorted { ($0.pending, $1.lane) > ($1.pending, $0.lane) }
        var shown = Array(ordered.prefix(maxDestinations))
        if ordered.count > maxDestinations {
            var other = DeliveryLaneStats(lane: otherDestination)
            for lane in ordered.dropFirst(maxDestinations) {
                other.pending += lane.pending
                other.failed += lane.failed
                other.consecutiveFailures = max(other.consecutiveFailures, lane.consecutiveFailures)
                other.oldestPendingAge = max(other.oldestPendingAge ?? 0, lane.oldestPendingAge ?? 0)
            }
            shown.append(other)
        }
        func family(_ name: String, _ type: PrometheusText.MetricType, _ help: String, _ value: (DeliveryLaneStats) -> Double) {
            text.family(name, type: type, help: help)
            for lane in shown { text.sample(name, labels: [("destination", lane.lane)], value: value(lane)) }
        }
        family("praxis_delivery_queue_depth", .gauge, "Deliveries waiting or in flight, by destination node.") {
            Double($0.pending)
        }
        family("praxis_delivery_oldest_age_seconds", .gauge, "Age of the oldest unfinished delivery, by destination node.") {
            ($0.oldestPendingAge ?? 0).rounded(.down)
        }
        family(
            "praxis_delivery_failed", .gauge,
            "Deliveries given up (4xx answer, trust list, retry horizon) and kept for the operator, by destination node."
        ) { Double($0.failed) }
        family(
            "praxis_delivery_consecutive_failures", .gauge,
            "Transport failures and 5xx answers in a row, by destination node (0 once one succeeds)."
        ) { Double($0.consecutiveFailures) }
    }

    static func writeProcess(startedAt: Date, to text: inout PrometheusText) {
        if let resident = residentBytes() {
            text.family("process_resident_memory_bytes", type: .gauge, help: "Resident memory size in bytes.")
            text.sample("process_resident_memory_bytes", value: resident)
        }
        text.family("process_start_time_seconds", type: .gauge, help: "Start time of the process since the Unix epoch in seconds.")
        text.sample("process_start_time_seconds", value: startedAt.timeIntervalSince1970.rounded(.down))
    }

    /// Resident set size from `/proc/self/statm` (its second field, in pages); nil elsewhere.
    static func residentBytes() -> Int? {
        #if canImport(Glibc)
        guard let statm = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8) else { return nil }
        let fields = statm.split(separator: " ")
        guard fields.count > 1, let pages = Int(fields[1]) else { return nil }
        return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
        #else
        return nil
        #endif
    }
}
