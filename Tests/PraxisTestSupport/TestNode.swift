import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisStorage
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// A temporary folder removed when the value is deinitialised.
public final class TemporaryDirectory: @unchecked Sendable {
    // @unchecked: `url` is immutable after init; deinit only removes the folder.
    public let url: URL

    public init(_ prefix: String = "praxis-test") {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("\(prefix)-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    public func appending(_ component: String) -> String { url.appendingPathComponent(component).path }

    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A node initialised in a temporary folder, for tests.
public struct TestNode: Sendable {
    public let temporary: TemporaryDirectory
    public let store: NodeStore
    public let directory: DataDirectory

    /// Creates a node with the given domain; `development` as `praxis init --dev`.
    public init(domain: String = "praxis.test", name: String = "Test node", development: Bool = false) throws {
        temporary = TemporaryDirectory()
        directory = DataDirectory(path: temporary.appending("node"))
        store = try NodeSetup.initialise(
            directory: directory,
            configuration: NodeConfiguration(domain: domain, name: name, development: development))
    }

    /// Account creation with a cheap password hash, so tests stay fast.
    public var accounts: AccountService { AccountService(store: store, passwordCost: .testing) }
    public var communities: CommunityService { CommunityService(store: store) }

    @discardableResult
    public func addMember(_ name: String, role: AccountRole = .member, affiliation: Affiliation = .buyer,
                          displayName: String? = nil) throws -> Account {
        try accounts.add(.init(username: name, password: "correct horse battery", displayName: displayName, role: role,
                               affiliation: affiliation))
    }
}

/// A bare node store (configuration and migrated database, no keys) in a temporary folder, for
/// storage tests that need no actors: cheaper than ``TestNode``, which generates the node's keys.
public struct TestStore: Sendable {
    public let temporary: TemporaryDirectory
    public let store: NodeStore

    public init(domain: String = "praxis.test") throws {
        temporary = TemporaryDirectory()
        store = try NodeStore.create(
            directory: DataDirectory(path: temporary.appending("node")),
            configuration: NodeConfiguration(domain: domain, name: "Test"))
    }
}

/// Ports ``freeLoopbackPort()`` handed out in this process, never handed out twice.
private let handedOutPorts = Mutex<Set<Int>>([])

/// A TCP port on 127.0.0.1 that is free now and below the kernel's ephemeral range.
///
/// Tests pick a node's port before the node binds it (the port is part of the node's domain).
/// A port from the ephemeral range (what binding port 0 gives) could meanwhile become the local
/// port of another test's outgoing connection, and the node's bind then fails with "address in
/// use"; outgoing connections never take ports below that range.
public func freeLoopbackPort() -> Int {
    let ephemeralStart = (try? String(contentsOfFile: "/proc/sys/net/ipv4/ip_local_port_range", encoding: .utf8))
        .flatMap { $0.split(whereSeparator: \.isWhitespace).first.flatMap { Int($0) } } ?? 32_768
    if ephemeralStart > 12_000 {
        for _ in 0..<2_000 {
            let port = Int.random(in: 10_000..<ephemeralStart)
            guard handedOutPorts.withLock({ $0.insert(port).inserted }) else { continue }
            if isLoopbackPortFree(port) { return port }
        }
    }
    return ephemeralLoopbackPort()
}

/// A port the kernel hands out for port 0 (bound and released at once).
private func ephemeralLoopbackPort() -> Int {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = 0
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { sa -> Int32 in
            guard bind(fd, sa, length) == 0 else { return -1 }
            return getsockname(fd, sa, &length)
        }
    }
    guard bound == 0 else { return 0 }
    return Int(UInt16(bigEndian: address.sin_port))
}

/// Initialises a development-mode node in a given folder (for nodes that will be served).
public enum PraxisNodeSetupForTests {
    public struct Handle {
        public let store: NodeStore
        public init(store: NodeStore) { self.store = store }
        public var accounts: AccountService { AccountService(store: store, passwordCost: .testing) }
        public var communities: CommunityService { CommunityService(store: store) }
    }

    public static func make(directory: DataDirectory, domain: String, name: String,
                            federation: FederationMode = .allowlist) throws -> Handle {
        Handle(store: try NodeSetup.initialise(
            directory: directory,
            configuration: NodeConfiguration(domain: domain, name: name, federation: federation, development: true)))
    }
}

/// True when nothing listens on 127.0.0.1:`port` and it can be bound now.
public func isLoopbackPortFree(_ port: Int) -> Bool {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_port = in_port_t(UInt16(port).bigEndian)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    return withUnsafePointer(to: &address) { pointer in
        pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
    }
}
