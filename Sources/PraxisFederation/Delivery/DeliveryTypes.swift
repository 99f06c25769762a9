import Foundation
import PraxisHTTP

/// An activity to deliver, as the caller queues it: serialised once, sent to many inboxes.
public struct OutgoingActivity: Sendable, Equatable {
    /// The activity's `id`; receivers deduplicate on it, which makes at-least-once delivery safe.
    public var activityID: String
    /// Activities with the same key going to the same destination node are delivered one after
    /// the other, in the order they were queued (usually the id of the object the activity is
    /// about, so a `Create` arrives before its `Update` and `Delete`).
    public var orderingKey: String
    /// The serialised activity (JSON), sent as the request body unchanged.
    public var body: [UInt8]
    /// The local actor whose key signs the request: a username, or `node` for the node actor.
    public var signer: String

    public init(activityID: String, orderingKey: String, body: [UInt8], signer: String) {
        self.activityID = activityID
        self.orderingKey = orderingKey
        self.body = body
        self.signer = signer
    }
}

/// Signs an outgoing delivery POST for a local actor.
///
/// Called before every attempt (each retry gets a fresh `Date` and signature). Implementations add
/// the digest and signature header fields (`Content-Digest`/`Signature-Input`/`Signature` for
/// RFC 9421, or `Digest`/`Date`/`Signature` for draft-cavage). A thrown error fails the delivery
/// permanently: a local actor that cannot sign will not be able to on a retry either.
public protocol DeliverySigner: Sendable {
    func sign(_ request: inout HTTPClientRequest, as signer: String) throws
}

/// Tuning of a ``DeliveryService``. The defaults suit a production node.
public struct DeliveryConfiguration: Sendable {
    /// Requests in flight at once to one destination node. At 100 ms per round trip, 32 give a
    /// slow peer up to 320 activities per second (fewer when few ordering keys are involved,
    /// since each key is sent one request at a time).
    public var maxInFlightPerLane = 32
    /// Requests in flight at once over all destinations. The HTTP client starts a thread per
    /// request and has no limit of its own, so this is the one bound on threads and sockets.
    public var maxConcurrentRequests = 256
    /// Delay before the first retry; it doubles on each further failure, up to `maxBackoff`.
    /// The actual delay is drawn between half and all of it (jitter), so a node that comes back
    /// is not hit by every sender at the same instant.
    public var initialBackoff: Duration = .seconds(5)
    public var maxBackoff: Duration = .seconds(6 * 3600)
    /// A delivery not acknowledged this long after it was queued is given up and recorded as failed.
    public var horizon: Duration = .seconds(7 * 24 * 3600)
    /// Consecutive transport failures or 5xx answers after which a destination is parked.
    public var breakerThreshold = 5
    /// While parked, one request (the probe) is sent per probe interval; the interval doubles after
    /// each failed probe, up to `maxProbeInterval`. A successful probe resumes the lane and makes
    /// its waiting deliveries due at once.
    public var probeInterval: Duration = .seconds(30)
    public var maxProbeInterval: Duration = .seconds(3600)
    /// Time allowed for one attempt, from connecting to the end of the response.
    public var requestTimeout: Duration = .seconds(30)
    /// The scheduler sleeps until the next due delivery or a `wake()`; it also rescans the whole
    /// queue this often, to pick up rows changed by other processes (for example an operator tool).
    public var pollInterval: Duration = .seconds(30)
    /// How long `stop()` waits for requests in flight before cancelling them (they are then
    /// queued again and resent after the next start).
    public var stopTimeout: Duration = .seconds(10)

    public init() {}
}

/// An error of the delivery queue, with a message a person can act on.
public struct DeliveryError: Error, CustomStringConvertible, Sendable, Equatable {
    public var message: String

    public init(_ message: String) {
        self.message = message
    }

    public var description: String { message }
}

extension Duration {
    /// Whole milliseconds, saturating (queue times are stored as milliseconds since 1970).
    var milliseconds: Int64 {
        let (seconds, attoseconds) = components
        let (product, overflow) = seconds.multipliedReportingOverflow(by: 1000)
        if overflow { return seconds < 0 ? Int64.min : Int64.max }
        let (sum, overflow2) = product.addingReportingOverflow(attoseconds / 1_000_000_000_000_000)
        return overflow2 ? Int64.max : sum
    }
}

extension Date {
    /// Milliseconds since 1970, as the queue stores times.
    var deliveryMilliseconds: Int64 { Int64((timeIntervalSince1970 * 1000).rounded(.down)) }

    init(deliveryMilliseconds: Int64) {
        self.init(timeIntervalSince1970: Double(deliveryMilliseconds) / 1000)
    }
}
