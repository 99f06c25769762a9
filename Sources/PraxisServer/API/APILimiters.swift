import PraxisFederation
import PraxisHTTP
import PraxisStorage

/// The client API's rate limits: every request per client address, and sign-in attempts per
/// client address and account name (on top of the account lock-out in ``SessionService``).
///
/// Requests built in-process (route tests, no peer address) are not limited: every request the
/// HTTP server hands over carries the address it came from.
final class APILimiters: Sendable {
    let requests: RateLimiter
    let signIns: RateLimiter

    init(_ limits: AbuseLimits) {
        requests = RateLimiter(InboxPipeline.rule(limits.apiPerAddress))
        signIns = RateLimiter(InboxPipeline.rule(limits.signInPerAddressAndName))
    }

    /// - Throws: `APIError` 429 when the client address has no token left.
    func admit(_ request: HTTPRequest) throws {
        guard !request.remoteAddress.isEmpty else { return }
        let address = request.clientAddress
        if case .refused(let retryAfter) = requests.take(address) {
            throw APIError.rateLimited(
                "too many API requests from \(address) (limit \(requests.rule)); retry after \(retryAfter) s",
                retryAfter: retryAfter)
        }
    }

    /// - Throws: `APIError` 429 when this address tried to sign in as `username` too often.
    func admitSignIn(_ request: HTTPRequest, username: String) throws {
        guard !request.remoteAddress.isEmpty else { return }
        let key = request.clientAddress + " " + username.lowercased().prefix(64)
        if case .refused(let retryAfter) = signIns.take(key) {
            throw APIError.rateLimited(
                "too many sign-in attempts for this name from \(request.clientAddress) (limit \(signIns.rule)); "
                    + "retry after \(retryAfter) s", retryAfter: retryAfter)
        }
    }
}
