import PraxisStorage
import Synchronization

/// The trust decisions the inbox read last, per node, so that a busy inbox does not read the
/// trust list for every request.
///
/// The cache is never the last word, which is what makes it safe: a trust change (through the
/// API, the CLI in another process, or an import) takes effect at once because
/// - ``InboxWriter`` decides again, from the trust list, inside the transaction that would persist
///   the activity, and refuses it there when the node is now blocked (and refreshes this cache);
/// - the pipeline uses a cached level only when the signing key is in memory too, so a request
///   that could make the node fetch anything reads the trust list first;
/// - a cached `blocked` is never used: it is read again, so unblocking works at once.
final class InboxTrustCache: Sendable {
    typealias Decision = (level: TrustLevel, refusal: String)

    /// Most nodes remembered; beyond it the cache starts afresh (reads are only a little slower).
    static let capacity = 10_000

    private let decisions = Mutex<[String: Decision]>([:])

    /// The last decision read for `domain`, unless it was `blocked`.
    func usable(for domain: String) -> Decision? {
        guard let decision = decisions.withLock({ $0[domain] }), decision.level != .blocked else { return nil }
        return decision
    }

    func remember(_ decision: Decision, for domain: String) {
        decisions.withLock { all in
            if all.count >= Self.capacity && all[domain] == nil { all.removeAll(keepingCapacity: true) }
            all[domain] = decision
        }
    }
}
