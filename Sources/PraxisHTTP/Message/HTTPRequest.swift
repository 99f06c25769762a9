/// A complete HTTP request as the server hands it to a responder.
///
/// `target` is the request-target exactly as received (origin form, e.g. `/users/ana?x=1`);
/// `path` is its part before `?`, still percent-encoded; `query` the part after `?` (nil when
/// absent). HTTP signatures sign these raw forms, so they are never normalised here.
public struct HTTPRequest: Sendable {
    public var method: HTTPMethod
    public var target: String
    public var version: HTTPVersion
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// Peer address as text (`127.0.0.1`, `::1`), for logs and per-IP limits.
    public var remoteAddress: String
    /// Unique per request; echoed as `X-Request-Id` and written in the access log.
    public var id: String
    /// Path parameters filled in by the router (`/users/:name` → `["name": "ana"]`), percent-decoded.
    public var parameters: [String: String]
    /// True when the request arrived over TLS terminated by this server.
    public var isSecure: Bool
    /// The body, when the route spools bodies to disk (`RequestBodyPolicy.spoolDirectory`); `body`
    /// is then empty.
    public var spooledBody: SpooledBody?

    public init(
        method: HTTPMethod, target: String, version: HTTPVersion = .http11, headers: HTTPHeaders = [:],
        body: [UInt8] = [], remoteAddress: String = "", id: String = "", parameters: [String: String] = [:],
        isSecure: Bool = false, spooledBody: SpooledBody? = nil
    ) {
        self.method = method
        self.target = target
        self.version = version
        self.headers = headers
        self.body = body
        self.remoteAddress = remoteAddress
        self.id = id
        self.parameters = parameters
        self.isSecure = isSecure
        self.spooledBody = spooledBody
    }

    public var path: Substring {
        if let q = target.firstIndex(of: "?") { return target[..<q] }
        return target[...]
    }

    public var query: Substring? {
        guard let q = target.firstIndex(of: "?") else { return nil }
        return target[target.index(after: q)...]
    }

    /// Query parameters decoded from `application/x-www-form-urlencoded` form; the first value wins
    /// when a name repeats.
    public var queryItems: [String: String] {
        guard let query else { return [:] }
        return FormURLEncoding.decode(query)
    }

    /// The `Host` header, which HTTP/1.1 requires.
    public var host: String? { headers["Host"] }
}

/// The HTTP protocol version of a message.
public struct HTTPVersion: Hashable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }
    public static let http10 = HTTPVersion(major: 1, minor: 0)
    public static let http11 = HTTPVersion(major: 1, minor: 1)
    public var description: String { "HTTP/\(major).\(minor)" }
}

/// `application/x-www-form-urlencoded` decoding (WHATWG URL standard, section 5.1).
public enum FormURLEncoding {
    /// Decodes `a=1&b=two+words` into a dictionary; the first value wins for repeated names.
    public static func decode(_ text: Substring) -> [String: String] {
        var result: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(parts[0], plusAsSpace: true)
            let value = parts.count > 1 ? percentDecode(parts[1], plusAsSpace: true) : ""
            if result[name] == nil { result[name] = value }
        }
        return result
    }

    /// Percent-decodes a string; invalid escapes are kept literally and invalid UTF-8 is repaired
    /// with U+FFFD, so hostile input never fails here.
    public static func percentDecode(_ text: Substring, plusAsSpace: Bool = false) -> String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var it = Array(text.utf8)[...]
        while let c = it.popFirst() {
            if c == UInt8(ascii: "%"), it.count >= 2, let h = hex(it[it.startIndex]), let l = hex(it[it.startIndex + 1]) {
                bytes.append(h << 4 | l)
                it = it.dropFirst(2)
            } else if plusAsSpace && c == UInt8(ascii: "+") {
                bytes.append(0x20)
            } else {
                bytes.append(c)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Percent-encodes everything except unreserved characters (RFC 3986 section 2.3).
    public static func percentEncode(_ text: String) -> String {
        var out = ""
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."),
                UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let digits = Array("0123456789ABCDEF".utf8)
                out += "%"
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(b >> 4)]))
                out.unicodeScalars.append(Unicode.Scalar(digits[Int(b & 15)]))
            }
        }
        return out
    }

    private static func hex(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - 48
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - 87
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - 55
        default: nil
        }
    }
}

extension FormURLEncoding {
    /// Decodes every `name=value` pair in order, keeping repeated names (WebFinger's `rel` repeats).
    public static func decodeAll(_ text: Substring) -> [(name: String, value: String)] {
        text.split(separator: "&", omittingEmptySubsequences: true).map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            return (percentDecode(parts[0], plusAsSpace: true), parts.count > 1 ? percentDecode(parts[1], plusAsSpace: true) : "")
        }
    }
}
