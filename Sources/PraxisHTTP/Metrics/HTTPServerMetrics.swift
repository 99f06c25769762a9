/// Request counts by status code and a latency histogram, filled in by an `HTTPServer`.
///
/// Each event loop writes its own shard (its index modulo the shard count), so loops never
/// contend on one cache line; a scrape sums the shards. Recording is lock-free: a few relaxed
/// atomic adds per response. Latency runs from the first byte of the request head to the moment
/// the response is queued for writing.
public final class HTTPServerMetrics: Sendable {
    /// Status codes 100 to 599 are counted one by one; anything else is not a valid HTTP status.
    static let codeRange = 100...599

    private struct Shard: Sendable {
        let codes = AtomicCounters(count: HTTPServerMetrics.codeRange.count)
        let latency: LatencyHistogram
    }

    private let shards: [Shard]
    public let latencyBounds: [Double]

    /// - Parameters:
    ///   - shards: how many independent counter sets to keep; one per event loop is ideal.
    ///   - latencyBounds: histogram bucket bounds in seconds.
    public init(shards: Int = 4, latencyBounds: [Double] = LatencyHistogram.defaultBounds) {
        let histogramBounds = LatencyHistogram(bounds: latencyBounds).bounds
        self.latencyBounds = histogramBounds
        self.shards = (0..<max(1, shards)).map { _ in Shard(latency: LatencyHistogram(bounds: histogramBounds)) }
    }

    /// Records one response.
    /// - Parameters:
    ///   - shard: the recording loop's index (any integer; reduced modulo the shard count).
    public func record(shard: Int, status: Int, nanoseconds: UInt64) {
        let target = shards[abs(shard % shards.count)]
        target.codes.add(status - Self.codeRange.lowerBound)
        target.latency.observe(nanoseconds: nanoseconds)
    }

    /// Responses so far by status code, codes without responses left out.
    public func statusCounts() -> [Int: UInt64] {
        var counts: [Int: UInt64] = [:]
        for shard in shards {
            for index in 0..<shard.codes.count {
                let value = shard.codes.load(index)
                if value > 0 { counts[Self.codeRange.lowerBound + index, default: 0] &+= value }
            }
        }
        return counts
    }

    /// Request latency over all shards.
    public func latency() -> HistogramSnapshot {
        var snapshot = HistogramSnapshot(bounds: latencyBounds)
        for shard in shards { snapshot.add(shard.latency) }
        return snapshot
    }
}
