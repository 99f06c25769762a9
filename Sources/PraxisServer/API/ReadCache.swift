import PraxisStorage
import Synchronization

/// Serialised answers of frequent reads (thread lists, thread pages, search), kept per reader and
/// request, and served again only while nothing they were built from has changed.
///
/// Each answer carries the ``ReadStamp`` of its scopes read in the database snapshot it was built
/// from (the community it shows, everything that decides permissions, and for search all content;
/// see `Schema` version 22). A hit is served only after the same counters, read again, are equal:
/// any committed write that could change the answer (a post, an edit, a like, a trust or
/// membership change, also made by the `praxis` command line while the node runs) bumps one of them
/// first, so the next read rebuilds it. Answers are keyed by the reader's actor id and the request
/// target, so a member never gets an answer built for someone else; guests (whose scope ends at a
/// set time) are never cached. Least recently used answers go first once the byte budget is spent.
final class ReadCache: Sendable {
    struct Hit {
        var body: [UInt8]
        var stamp: ReadStamp
    }

    private struct Entry {
        var body: [UInt8]
        var stamp: ReadStamp
        var size: Int
        var used: UInt64
    }

    private struct State {
        var entries: [String: Entry] = [:]
        /// Keys being built right now, with the requests waiting for that build.
        var building: [String: [CheckedContinuation<Void, Never>]] = [:]
        var bytes = 0
        var clock: UInt64 = 0
    }

    /// The byte budget; 0 turns the cache off.
    let capacity: Int
    private let state = Mutex(State())

    init(capacityBytes: Int) {
        capacity = max(0, capacityBytes)
    }

    var isEnabled: Bool { capacity > 0 }

    /// The answer kept for `key`, if any (still to be checked against the current counters).
    func lookup(_ key: String) -> Hit? {
        state.withLock { state in
            guard var entry = state.entries[key] else { return nil }
            state.clock += 1
            entry.used = state.clock
            state.entries[key] = entry
            return Hit(body: entry.body, stamp: entry.stamp)
        }
    }

    /// Claims the build of `key` after a miss: true when no other request is building it (the
    /// caller builds, then calls ``finishBuild(_:)``), false when one is (the caller may
    /// ``waitForBuild(_:)`` and look again instead of building the same answer once more).
    ///
    /// Without this, identical requests arriving together (one member's many connections, a
    /// client retrying) all missed and all built the answer, and such convoys kept forming: in
    /// the read bench half the thread-page requests were built again although their answers
    /// had been kept a moment earlier.
    func claimBuild(_ key: String) -> Bool {
        state.withLock { state in
            guard state.building[key] == nil else { return false }
            state.building[key] = []
            return true
        }
    }

    /// Ends the build of `key` (kept or not, thrown or not) and wakes the requests waiting for it.
    func finishBuild(_ key: String) {
        let waiting = state.withLock { state in state.building.removeValue(forKey: key) ?? [] }
        for continuation in waiting { continuation.resume() }
    }

    /// Returns once nobody is building `key` (at once if nobody is).
    func waitForBuild(_ key: String) async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            let now = state.withLock { state -> Bool in
                guard state.building[key] != nil else { return true }
                state.building[key, default: []].append(continuation)
                return false
            }
            if now { continuation.resume() }
        }
    }

    /// Keeps `body` for `key`, evicting the least recently used answers beyond the budget.
    func store(_ key: String, body: [UInt8], stamp: ReadStamp) {
        // Key, body, the stamp's scopes and the bookkeeping around them.
        let size = key.utf8.count + body.count + stamp.scopes.reduce(0) { $0 + $1.utf8.count + 24 } + 96
        guard isEnabled, size <= capacity / 8 else { return }
        state.withLock { state in
            state.clock += 1
            if let old = state.entries.updateValue(
                Entry(body: body, stamp: stamp, size: size, used: state.clock), forKey: key)
            {
                state.bytes -= old.size
            }
            state.bytes += size
            guard state.bytes > capacity else { return }
            // Evict down to three quarters of the budget at once, so eviction (a sort) is rare.
            let target = capacity / 4 * 3
            for (oldKey, entry) in state.entries.sorted(by: { $0.value.used < $1.value.used }) {
                guard state.bytes > target else { break }
                state.entries[oldKey] = nil
                state.bytes -= entry.size
            }
        }
    }
}
