/// A histogram of durations with fixed bucket bounds, recorded lock-free.
///
/// Each observation is two relaxed atomic adds (its bucket and the sum), so it can sit on a hot
/// path such as every HTTP response. Buckets are stored per bucket and made cumulative only when
/// a snapshot is taken, which is what the Prometheus exposition wants.
public final class LatencyHistogram: Sendable {
    /// Bucket upper bounds in seconds, in Prometheus' usual spread from 1 ms to 10 s.
    public static let defaultBounds: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10]

    /// Upper bounds (seconds), strictly increasing; a last `+Inf` bucket is implicit.
    public let bounds: [Double]
    private let boundNanoseconds: [UInt64]
    /// Layout: one counter per bound, one for `+Inf`, then the sum in nanoseconds.
    private let counters: AtomicCounters

    /// - Parameter bounds: bucket upper bounds in seconds; unsorted, duplicate, negative or
    ///   non-finite values are dropped.
    public init(bounds: [Double] = LatencyHistogram.defaultBounds) {
        let clean = Array(Set(bounds.filter { $0.isFinite && $0 >= 0 })).sorted()
        self.bounds = clean
        self.boundNanoseconds = clean.map { UInt64(($0 * 1e9).rounded()) }
        self.counters = AtomicCounters(count: clean.count + 2)
    }

    /// Records one duration.
    public func observe(nanoseconds: UInt64) {
        var index = boundNanoseconds.count
        // A linear scan over a dozen bounds beats a binary search at this size.
        for (i, bound) in boundNanoseconds.enumerated() where nanoseconds <= bound {
            index = i
            break
        }
        counters.add(index)
        counters.add(boundNanoseconds.count + 1, nanoseconds)
    }

    /// Records one duration measured as a Swift `Duration`.
    public func observe(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        guard seconds >= 0 else { return observe(nanoseconds: 0) }
        let nanoseconds = UInt64(seconds).multipliedReportingOverflow(by: 1_000_000_000)
        observe(nanoseconds: nanoseconds.overflow ? UInt64.max : nanoseconds.partialValue &+ UInt64(attoseconds / 1_000_000_000))
    }

    /// A consistent-enough copy of the histogram: cumulative bucket counts, sum and count.
    public func snapshot() -> HistogramSnapshot {
        var snapshot = HistogramSnapshot(bounds: bounds)
        snapshot.add(self)
        return snapshot
    }

    fileprivate func bucketCount(_ index: Int) -> UInt64 { counters.load(index) }
    fileprivate var sumNanoseconds: UInt64 { counters.load(boundNanoseconds.count + 1) }
}

/// The values of one or more histograms with the same bounds, ready to expose.
public struct HistogramSnapshot: Sendable, Equatable {
    public let bounds: [Double]
    /// Observations per bucket (not cumulative); the last element is the `+Inf` bucket.
    public private(set) var buckets: [UInt64]
    public private(set) var sumNanoseconds: UInt64 = 0

    public init(bounds: [Double]) {
        self.bounds = bounds
        self.buckets = Array(repeating: 0, count: bounds.count + 1)
    }

    /// Adds the current values of `histogram`, when its bounds are the same.
    public mutating func add(_ histogram: LatencyHistogram) {
        guard histogram.bounds == bounds else { return }
        for index in buckets.indices { buckets[index] &+= histogram.bucketCount(index) }
        sumNanoseconds &+= histogram.sumNanoseconds
    }

    /// Total observations.
    public var count: UInt64 { buckets.reduce(0, &+) }
    /// Sum of the observations, in seconds.
    public var sumSeconds: Double { Double(sumNanoseconds) / 1e9 }
    /// `(upper bound, observations at or below it)` for every bound, then `(+Inf, count)`.
    public var cumulative: [(upperBound: Double, count: UInt64)] {
        var running: UInt64 = 0
        var result: [(upperBound: Double, count: UInt64)] = []
        for (index, value) in buckets.enumerated() {
            running &+= value
            result.append((index < bounds.count ? bounds[index] : .infinity, running))
        }
        return result
    }
}
