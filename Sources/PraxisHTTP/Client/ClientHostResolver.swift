import Dispatch
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Turns a host name into the addresses the client may connect to.
///
/// The client calls ``addresses(for:)`` once per new connection, checks **every** address it
/// returns against the ``AddressPolicy`` and then connects to those very addresses, never
/// resolving again in between, so what was checked is what is contacted. The call runs on a
/// client thread, may block, and is abandoned (its answer dropped) at the connect deadline.
///
/// The default is ``SystemHostResolver`` (`getaddrinfo`). Another resolver changes only where
/// names lead, never which addresses are allowed: tests use one to make names resolve to private
/// addresses without touching the machine's DNS.
public protocol HostResolver: Sendable {
    /// The IPv4 and IPv6 addresses of `host` (a DNS name, never an IP literal).
    /// - Throws: ``HTTPClientError`` of kind `.resolutionFailed` when the name has no address.
    func addresses(for host: String) throws -> [IPAddress]
}

/// The operating system's resolver (`getaddrinfo`, so `/etc/hosts` and the configured DNS).
public struct SystemHostResolver: HostResolver {
    public init() {}

    public func addresses(for host: String) throws -> [IPAddress] {
        try ClientHostResolver.lookup(host).get()
    }
}

/// Runs a ``HostResolver`` bounded by a deadline.
///
/// `getaddrinfo` cannot be interrupted, so it runs on a thread of its own and the caller stops
/// waiting at the deadline (the lookup finishes in the background and its result is dropped).
enum ClientHostResolver {
    private final class Outcome: Sendable {
        let result = Mutex<Result<[IPAddress], any Error>?>(nil)
        let done = DispatchSemaphore(value: 0)
    }

    static func resolve(_ host: String, with resolver: any HostResolver, deadline: ClientDeadline, cancel: ClientCancellationFlag)
        throws -> [IPAddress]
    {
        let outcome = Outcome()
        ClientThread.spawn({
            let result = Result { try resolver.addresses(for: host) }
            outcome.result.withLock { $0 = result }
            outcome.done.signal()
        }, onFailure: {
            outcome.result.withLock {
                $0 = .failure(HTTPClientError(.resolutionFailed, "could not start a thread to resolve \(host)"))
            }
            outcome.done.signal()
        })
        while true {
            if cancel.isCancelled { throw CancellationError() }
            let remaining = deadline.remainingMilliseconds
            if remaining <= 0 { throw deadline.error }
            if outcome.done.wait(timeout: .now() + .milliseconds(min(remaining, 100))) == .success { break }
        }
        switch outcome.result.withLock({ $0 }) {
        case .success(let addresses) where !addresses.isEmpty: return addresses
        case .success: throw HTTPClientError(.resolutionFailed, "\(host) has no IPv4 or IPv6 address")
        case .failure(let error as HTTPClientError): throw error
        case .failure(let error): throw HTTPClientError(.resolutionFailed, "could not resolve \(host): \(error)")
        case nil: throw HTTPClientError(.resolutionFailed, "could not resolve \(host)")
        }
    }

    static func lookup(_ host: String) -> Result<[IPAddress], HTTPClientError> {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        #if os(Linux)
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        #else
        hints.ai_socktype = SOCK_STREAM
        #endif
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            let reason = String(cString: gai_strerror(status))
            return .failure(HTTPClientError(.resolutionFailed, "could not resolve \(host): \(reason)"))
        }
        defer { freeaddrinfo(list) }
        var addresses: [IPAddress] = []
        var node = list
        while let entry = node?.pointee {
            node = entry.ai_next
            guard let raw = entry.ai_addr else { continue }
            var address: IPAddress?
            if entry.ai_family == AF_INET {
                let v4 = UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in.self)
                address = .v4(UInt32(bigEndian: v4.sin_addr.s_addr))
            } else if entry.ai_family == AF_INET6 {
                var v6 = UnsafeRawPointer(raw).loadUnaligned(as: sockaddr_in6.self)
                address = IPAddress(bytes: withUnsafeBytes(of: &v6.sin6_addr) { Array($0) })
            }
            if let address, !addresses.contains(address) { addresses.append(address) }
        }
        if addresses.isEmpty {
            return .failure(HTTPClientError(.resolutionFailed, "\(host) has no IPv4 or IPv6 address"))
        }
        return .success(addresses)
    }
}
