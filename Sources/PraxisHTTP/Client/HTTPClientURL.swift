/// An absolute `http`/`https` URL, parsed strictly for the client.
///
/// Accepts `scheme://host[:port][/path][?query][#fragment]` with a host that is a DNS name, a
/// strict dotted-quad IPv4 address or a bracketed IPv6 address. Refuses user information
/// (`user@host` is a classic way to disguise the real host), IPv6 zone identifiers, shorthand or
/// numeric IPv4 forms (`127.1`, `0x7f000001`), non-ASCII or control characters, backslashes and
/// malformed percent escapes. The path and query are kept byte for byte as the request-target,
/// since HTTP signatures sign them.
public struct HTTPClientURL: Sendable, Hashable, CustomStringConvertible {
    public enum Scheme: String, Sendable, Hashable {
        case http, https
        public var defaultPort: Int { self == .https ? 443 : 80 }
    }

    public let scheme: Scheme
    /// Lower-cased host name, or the address text without brackets.
    public let host: String
    /// The address when the host is an IP literal.
    public let hostAddress: IPAddress?
    public let port: Int
    /// Path and query exactly as given (`/` when the URL has no path), without the fragment.
    public let target: String
    /// The text this URL was parsed from (or resolved to), for reporting.
    public let text: String

    /// Parses `text`, throwing `.invalidURL` with the reason when it is not acceptable.
    public init(_ text: String) throws {
        let fail = { (why: String) in HTTPClientError(.invalidURL, "invalid URL '\(text.prefix(200))': \(why)") }
        // Byte scans: every delimiter is ASCII, and in UTF-8 an ASCII byte is always a whole
        // character, so the indices found are valid string indices (this runs several times for
        // each incoming activity, where Character-level searching showed in profiles).
        guard let schemeEnd = Self.schemeSeparator(in: text[...]) else { throw fail("it must start with http:// or https://") }
        guard let scheme = Self.scheme(text.utf8[..<schemeEnd.lowerBound]) else {
            throw fail("only http and https URLs are supported")
        }
        let rest = text[schemeEnd.upperBound...]
        let authorityEnd =
            rest.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") || $0 == UInt8(ascii: "#") }
            ?? rest.endIndex
        let authority = rest[..<authorityEnd]
        var target = rest[authorityEnd...]
        if let hash = target.utf8.firstIndex(of: UInt8(ascii: "#")) { target = target[..<hash] }

        guard !authority.isEmpty else { throw fail("the host is missing") }
        guard !authority.utf8.contains(UInt8(ascii: "@")) else { throw fail("user information (user@host) is not accepted") }
        for byte in text.utf8 where byte <= 0x20 || byte >= 0x7F || byte == UInt8(ascii: "\\") {
            throw fail("it contains a space, control, backslash or non-ASCII character; percent-encode it")
        }

        var hostPart: Substring
        var portPart: Substring?
        if authority.hasPrefix("[") {
            guard let close = authority.firstIndex(of: "]") else { throw fail("unterminated IPv6 literal") }
            hostPart = authority[authority.index(after: authority.startIndex)..<close]
            let after = authority[authority.index(after: close)...]
            if !after.isEmpty {
                guard after.hasPrefix(":") else { throw fail("unexpected characters after the IPv6 literal") }
                portPart = after.dropFirst()
            }
            guard !hostPart.contains("%") else { throw fail("IPv6 zone identifiers are not accepted") }
            guard let address = IPAddress(String(hostPart)), !address.isIPv4 else {
                throw fail("'\(hostPart)' is not a valid IPv6 address")
            }
            self.hostAddress = address
            self.host = address.description
        } else {
            if let colon = authority.utf8.lastIndex(of: UInt8(ascii: ":")) {
                hostPart = authority[..<colon]
                portPart = authority[authority.index(after: colon)...]
            } else {
                hostPart = authority
            }
            let name = hostPart.utf8.contains(where: { $0 >= 65 && $0 <= 90 }) ? hostPart.lowercased() : String(hostPart)
            let (problem, ipv4) = HTTPClientURL.hostNameProblem(name)
            if let problem { throw fail(problem) }
            if let v4 = ipv4 {
                self.hostAddress = .v4(v4)
            } else {
                self.hostAddress = nil
            }
            self.host = name
        }

        if let portPart {
            var port = 0
            for byte in portPart.utf8 {
                guard byte >= 48 && byte <= 57, port <= 65535 else { port = 0; break }
                port = port * 10 + Int(byte - 48)
            }
            guard (1...5).contains(portPart.utf8.count), (1...65535).contains(port) else {
                throw fail("the port must be a number from 1 to 65535")
            }
            self.port = port
        } else {
            self.port = scheme.defaultPort
        }

        if let why = HTTPClientURL.targetProblem(target) { throw fail(why) }
        self.scheme = scheme
        self.target = target.isEmpty ? "/" : (target.hasPrefix("?") ? "/" + target : String(target))
        self.text = text
    }

    /// `host[:port]` as sent in the `Host` header: brackets around IPv6, port only when not the
    /// scheme's default. Always lowercase (the host is lowercased when parsed, and IPv6 addresses
    /// are written in lowercase).
    public var authority: String {
        var name = host
        if let hostAddress, !hostAddress.isIPv4 { name = "[" + host + "]" }
        return port == scheme.defaultPort ? name : name + ":" + String(port)
    }

    /// `scheme://authority`, the origin used to decide whether a redirect leaves the site.
    public var origin: String { "\(scheme.rawValue)://\(authority)" }

    public var description: String { text }

    /// Resolves a URI reference (such as a `Location` header) against this URL (RFC 3986 section
    /// 5.2). Absolute references are taken as written; dot segments are removed only from
    /// relative ones. The fragment of the reference is dropped.
    public func resolving(_ reference: String) throws -> HTTPClientURL {
        var ref = Substring(reference)
        if let hash = ref.firstIndex(of: "#") { ref = ref[..<hash] }
        if HTTPClientURL.hasScheme(ref) { return try HTTPClientURL(String(ref)) }
        if ref.hasPrefix("//") { return try HTTPClientURL("\(scheme.rawValue):\(ref)") }
        let basePath = target.firstIndex(of: "?").map { target[..<$0] } ?? target[...]
        let resolvedTarget: String
        if ref.isEmpty {
            resolvedTarget = target
        } else if ref.hasPrefix("?") {
            resolvedTarget = String(basePath) + ref
        } else {
            let refPath = ref.firstIndex(of: "?").map { ref[..<$0] } ?? ref
            let refQuery = ref[refPath.endIndex...]
            let merged: String
            if refPath.hasPrefix("/") {
                merged = String(refPath)
            } else {
                let directory = basePath.lastIndex(of: "/").map { String(basePath[...$0]) } ?? "/"
                merged = directory + refPath
            }
            resolvedTarget = HTTPClientURL.removeDotSegments(merged) + refQuery
        }
        return try HTTPClientURL("\(origin)\(resolvedTarget)")
    }

    // MARK: - Validation helpers

    private static func hasScheme(_ ref: Substring) -> Bool {
        guard let colon = ref.firstIndex(of: ":"), let first = ref.first, first.isASCII, first.isLetter else {
            return false
        }
        return ref[..<colon].allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || "+-.".contains($0)) }
    }

    /// `http` or `https`, in any case, without making a lowercased copy.
    private static func scheme(_ name: Substring.UTF8View) -> Scheme? {
        func matches(_ lowercase: StaticString) -> Bool {
            guard name.count == lowercase.utf8CodeUnitCount else { return false }
            var i = 0
            for byte in name {
                let lowered = byte >= 65 && byte <= 90 ? byte | 0x20 : byte
                if lowered != lowercase.utf8Start[i] { return false }
                i += 1
            }
            return true
        }
        if matches("https") { return .https }
        if matches("http") { return .http }
        return nil
    }

    /// The first `://` in `text`, found by a byte scan (its bounds are character boundaries:
    /// every byte of it is ASCII). Also used for request targets in absolute form.
    public static func schemeSeparator(in text: Substring) -> Range<Substring.Index>? {
        let bytes = text.utf8
        var i = bytes.startIndex
        while let colon = bytes[i...].firstIndex(of: UInt8(ascii: ":")) {
            if bytes[colon...].starts(with: "://".utf8) { return colon..<bytes.index(colon, offsetBy: 3) }
            i = bytes.index(after: colon)
        }
        return nil
    }

    /// Why the (lowercased) host name `name` is refused, if it is; otherwise the IPv4 address it
    /// is, when it is one. Walks the labels in place: splitting them into an array showed in inbox
    /// profiles.
    private static func hostNameProblem(_ name: String) -> (problem: String?, ipv4: UInt32?) {
        if name.isEmpty { return ("the host is missing", nil) }
        let bytes = name.utf8
        if bytes.count > 253 { return ("the host name is longer than 253 characters", nil) }
        var numeric = false
        var start = bytes.startIndex
        while true {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: ".")) ?? bytes.endIndex
            let label = bytes[start..<end]
            if label.isEmpty { return ("the host name has an empty label", nil) }
            if label.count > 63 { return ("a host name label is longer than 63 characters", nil) }
            var digits = true
            for byte in label {
                let isDigit = byte >= 48 && byte <= 57
                if !(isDigit || (byte >= 97 && byte <= 122) || byte == UInt8(ascii: "-") || byte == UInt8(ascii: "_")) {
                    return ("the host '\(name)' contains characters not allowed in a host name (use punycode for IDNs)", nil)
                }
                if !isDigit { digits = false }
            }
            if end == bytes.endIndex {
                numeric = digits || label.starts(with: "0x".utf8)
                break
            }
            start = bytes.index(after: end)
        }
        // A numeric last label makes the host an IPv4 address in URL parsers; only the strict
        // dotted quad is accepted so every component agrees on which address is meant.
        guard numeric else { return (nil, nil) }
        guard let address = IPAddress.parseIPv4(Substring(name)) else {
            return ("'\(name)' is not a valid dotted-quad IPv4 address", nil)
        }
        return (nil, address)
    }

    private static func targetProblem(_ target: Substring) -> String? {
        var bytes = target.utf8.makeIterator()
        while let byte = bytes.next() {
            if byte == UInt8(ascii: "%") {
                guard let a = bytes.next(), let b = bytes.next(), isHex(a), isHex(b) else {
                    return "malformed percent escape in the path or query"
                }
            }
        }
        return nil
    }

    private static func isHex(_ c: UInt8) -> Bool {
        (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102)
    }

    /// RFC 3986 section 5.2.4.
    static func removeDotSegments(_ path: String) -> String {
        var output: [Substring] = []
        let segments = path.split(separator: "/", omittingEmptySubsequences: false).dropFirst()
        for (index, segment) in segments.enumerated() {
            let isLast = index == segments.count - 1
            switch segment {
            case ".":
                if isLast { output.append("") }
            case "..":
                if !output.isEmpty { output.removeLast() }
                if isLast { output.append("") }
            default:
                output.append(segment)
            }
        }
        return "/" + output.joined(separator: "/")
    }
}
