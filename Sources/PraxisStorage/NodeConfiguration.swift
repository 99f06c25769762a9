import Foundation

/// Whom a node federates with when a peer is not on its trust list.
public enum FederationMode: String, Codable, Sendable, CaseIterable {
    /// Unknown nodes are blocked (the default).
    case allowlist
    /// Unknown nodes are treated as `limited`: public content only.
    case open
}

/// The node's configuration, kept as `config.json` in the data folder.
///
/// The domain is the node's authority as peers see it: a host, plus the port when it is not the
/// default (`praxis.achats.gouv.fr`, `127.0.0.1:8001`). It is fixed at `init`: actor ids are built
/// from it and other nodes store them.
public struct NodeConfiguration: Codable, Sendable, Equatable {
    public var domain: String
    public var name: String
    public var federation: FederationMode
    /// Local-development mode: plain HTTP, loopback and private peer addresses allowed. Never the
    /// default; `serve` warns loudly when it is on.
    public var development: Bool
    /// `https`, or `http` in development mode: the scheme of every URL this node publishes.
    public var scheme: String
    public var createdAt: Date
    /// Where `serve` listens when `--listen` is not given.
    public var listen: String
    /// The largest document members may upload, in bytes; absent means
    /// ``NodeConfiguration/defaultMaxDocumentBytes`` (100 MB). See ``documentSizeLimit``.
    public var maxDocumentBytes: Int?
    /// Addresses (`127.0.0.1`, `::1`) or CIDR ranges (`10.0.0.0/8`) allowed to read `/metrics`
    /// without a token; absent means loopback only. An admin's bearer token works from anywhere.
    public var metricsAllowFrom: [String]?
    /// Abuse limits (rates per node and per client address, sizes of activities, sign-in
    /// lock-out); absent means the defaults of ``AbuseLimits``. See ``effectiveLimits``.
    public var limits: AbuseLimits?
    /// Private networks (CIDR: `10.20.0.0/16`, `192.168.4.10/32`, `fd12:3456::/48`) this node may
    /// contact although it is not in development mode: for federations whose nodes sit on an
    /// intranet. Every other loopback, private, link-local or reserved address stays refused, and
    /// cloud metadata addresses can never be allowed. Checked when the node starts.
    public var allowedPrivateNetworks: [String]?
    /// A PEM bundle of CA certificates trusted for peers in addition to the system store, for
    /// federations with their own PKI. Read when the node starts.
    public var extraCAFile: String?
    /// Memory for cached answers of thread lists, thread pages and searches, in MiB; absent means
    /// ``NodeConfiguration/defaultReadCacheMegabytes``, 0 turns the cache off. Cached answers are
    /// checked against the database at every request, so the cache never serves an outdated answer.
    public var readCacheMegabytes: Int?

    public init(domain: String, name: String, federation: FederationMode = .allowlist, development: Bool = false,
                createdAt: Date = Date(), listen: String? = nil) {
        self.domain = domain
        self.name = name
        self.federation = federation
        self.development = development
        self.scheme = development ? "http" : "https"
        self.createdAt = createdAt
        self.listen = listen ?? NodeConfiguration.defaultListen(domain: domain, development: development)
    }

    public static let defaultReadCacheMegabytes = 32
    /// The accepted range of ``readCacheMegabytes`` (64 GiB at most).
    public static let readCacheMegabytesRange = 0...65_536

    /// The read cache's budget in bytes (``readCacheMegabytes``, or its default; 0 when off).
    public var readCacheBytes: Int {
        min(max(readCacheMegabytes ?? Self.defaultReadCacheMegabytes, 0), Self.readCacheMegabytesRange.upperBound) << 20
    }

    /// Refuses a ``readCacheMegabytes`` outside ``readCacheMegabytesRange``, naming it, so that a
    /// typo does not silently turn the cache off or ask for more memory than meant.
    /// - Throws: `StorageError.invalidValue`.
    public func checkReadCache() throws {
        if let value = readCacheMegabytes, !Self.readCacheMegabytesRange.contains(value) {
            throw StorageError.invalidValue(
                "readCacheMegabytes in config.json must be from 0 (no cache) to \(Self.readCacheMegabytesRange.upperBound), got \(value)")
        }
    }

    /// The base URL every published id starts with, without a trailing slash.
    public var baseURL: String { "\(scheme)://\(domain)" }

    /// Development nodes listen on the port of their domain on loopback; production nodes listen on
    /// 127.0.0.1:8080 behind a reverse proxy unless told otherwise.
    static func defaultListen(domain: String, development: Bool) -> String {
        if development, let port = Domain.port(of: domain) { return "127.0.0.1:\(port)" }
        return "127.0.0.1:8080"
    }

    public func save(to directory: DataDirectory) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        encoder.dateEncodingStrategy = .iso8601
        let data = try encoder.encode(self)
        try directory.writeSecret(String(decoding: data, as: UTF8.self) + "\n", to: directory.configurationFile)
    }

    public static func load(from directory: DataDirectory) throws -> NodeConfiguration {
        guard directory.isInitialised else { throw StorageError.notInitialised(directory.root.path) }
        let text = try directory.readText(directory.configurationFile)
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        let config: NodeConfiguration
        do {
            config = try decoder.decode(NodeConfiguration.self, from: Data(text.utf8))
        } catch {
            throw StorageError.invalidConfiguration("\(directory.configurationFile.path) is not a valid configuration: \(error)")
        }
        try Domain.validate(config.domain)
        try config.limits?.validate()
        return config
    }
}

/// Validation of node authorities (`host` or `host:port`).
public enum Domain {
    /// Checks that `text` is a lowercase DNS name or IPv4 address, optionally with a port; IPv6
    /// literals are accepted in brackets (`[::1]:8001`).
    public static func validate(_ text: String) throws {
        func fail(_ why: String) -> StorageError {
            .invalidValue("invalid domain \"\(text)\": \(why); expected HOST or HOST:PORT such as praxis.example.org or 127.0.0.1:8001")
        }
        guard !text.isEmpty, text.utf8.count <= 253 + 6 else { throw fail("empty or too long") }
        var host = Substring(text)
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]") else { throw fail("unclosed IPv6 bracket") }
            let inner = text[text.index(after: text.startIndex)..<close]
            guard !inner.isEmpty, inner.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else {
                throw fail("bad IPv6 literal")
            }
            let rest = text[text.index(after: close)...]
            if !rest.isEmpty {
                guard rest.hasPrefix(":"), let p = Int(rest.dropFirst()), (1...65535).contains(p) else {
                    throw fail("bad port")
                }
            }
            return
        }
        if let colon = text.lastIndex(of: ":") {
            let portText = text[text.index(after: colon)...]
            guard let p = Int(portText), (1...65535).contains(p), portText.allSatisfy(\.isASCII) else {
                throw fail("port must be a number from 1 to 65535")
            }
            host = text[..<colon]
        }
        guard !host.isEmpty, host.utf8.count <= 253 else { throw fail("empty host") }
        for label in host.split(separator: ".", omittingEmptySubsequences: false) {
            guard !label.isEmpty, label.utf8.count <= 63 else { throw fail("empty or overlong label") }
            guard label.utf8.allSatisfy({ ($0 >= 97 && $0 <= 122) || ($0 >= 48 && $0 <= 57) || $0 == 45 }) else {
                throw fail("only lowercase letters, digits, '-' and '.' are allowed")
            }
            guard !label.hasPrefix("-"), !label.hasSuffix("-") else { throw fail("a label cannot start or end with '-'") }
        }
    }

    /// The port of an authority, when it names one.
    public static func port(of authority: String) -> Int? {
        guard let colon = authority.lastIndex(of: ":"), !authority.hasSuffix("]") else { return nil }
        return Int(authority[authority.index(after: colon)...])
    }
}
