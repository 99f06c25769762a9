import Synchronization

/// A fixed number of 64-bit counters, each updated with one relaxed atomic add.
///
/// Counters sit in one allocation rather than one object each: a status-code table has hundreds
/// of them and is written on every request. Relaxed ordering suffices because readers only sum
/// the values; no other memory is published through them.
///
/// `@unchecked Sendable`: the pointer and `count` never change after `init`, and every element is
/// an `Atomic`, so concurrent adds and loads from any thread are safe.
final class AtomicCounters: @unchecked Sendable {
    private let base: UnsafeMutablePointer<Atomic<UInt64>>
    let count: Int

    init(count: Int) {
        self.count = max(0, count)
        base = UnsafeMutablePointer<Atomic<UInt64>>.allocate(capacity: max(1, self.count))
        for index in 0..<self.count { (base + index).initialize(to: Atomic<UInt64>(0)) }
    }

    deinit {
        base.deinitialize(count: count)
        base.deallocate()
    }

    /// Adds `amount` to counter `index`; an index out of range is ignored.
    func add(_ index: Int, _ amount: UInt64 = 1) {
        guard index >= 0, index < count else { return }
        base[index].wrappingAdd(amount, ordering: .relaxed)
    }

    /// The current value of counter `index` (0 out of range).
    func load(_ index: Int) -> UInt64 {
        guard index >= 0, index < count else { return 0 }
        return base[index].load(ordering: .relaxed)
    }
}

/// A counter that only goes up, safe to bump from any thread.
public final class MetricCounter: Sendable {
    private let value = Atomic<UInt64>(0)

    public init() {}

    public func increment(by amount: UInt64 = 1) { value.wrappingAdd(amount, ordering: .relaxed) }

    public var current: UInt64 { value.load(ordering: .relaxed) }
}
