import PraxisHTTP

/// The parts of an HTTP message that RFC 9421 components are taken from.
///
/// The library never sees a socket: a server hands in what it received (method, raw request-target,
/// headers) plus what it knows about itself (scheme and authority it is served at); a client hands
/// in what it is about to send.
public struct SignatureMessage: Sendable {
    public enum Kind: Sendable {
        /// `target` is the request-target as sent on the request line (origin form `/path?query`,
        /// or absolute form); `authority` is `host[:port]`.
        case request(method: String, scheme: String, authority: String, target: String)
        case response(status: Int)
    }

    public var kind: Kind
    public var headers: HTTPHeaders

    public init(kind: Kind, headers: HTTPHeaders) {
        self.kind = kind
        self.headers = headers
    }

    /// A request as sent or received.
    public static func request(
        method: HTTPMethod, scheme: String, authority: String, target: String, headers: HTTPHeaders
    ) -> SignatureMessage {
        SignatureMessage(kind: .request(method: method.rawValue, scheme: scheme, authority: authority, target: target), headers: headers)
    }

    /// A request received by a server that is reachable at `scheme://authority`.
    public static func request(_ request: HTTPRequest, scheme: String, authority: String) -> SignatureMessage {
        Self.request(method: request.method, scheme: scheme, authority: authority, target: request.target, headers: request.headers)
    }

    /// A response.
    public static func response(status: Int, headers: HTTPHeaders) -> SignatureMessage {
        SignatureMessage(kind: .response(status: status), headers: headers)
    }
}

/// An RFC 9421 component identifier: a lowercase name (`@method`, `content-digest`) and parameters.
///
/// Write the common ones as literals: `["@method", "@target-uri", "content-digest"]`.
public struct MessageComponent: Sendable, Equatable, ExpressibleByStringLiteral, CustomStringConvertible {
    public var name: String
    public var parameters: StructuredFields.Parameters

    public init(_ name: String, parameters: StructuredFields.Parameters = StructuredFields.Parameters()) {
        self.name = name
        self.parameters = parameters
    }

    public init(stringLiteral value: String) {
        self.init(value)
    }

    public static let method: MessageComponent = "@method"
    public static let targetURI: MessageComponent = "@target-uri"
    public static let authority: MessageComponent = "@authority"
    public static let scheme: MessageComponent = "@scheme"
    public static let requestTarget: MessageComponent = "@request-target"
    public static let path: MessageComponent = "@path"
    public static let query: MessageComponent = "@query"
    public static let status: MessageComponent = "@status"

    /// `@query-param;name="..."` (give the name percent-encoded as it is signed).
    public static func queryParameter(_ name: String) -> MessageComponent {
        MessageComponent("@query-param", parameters: StructuredFields.Parameters([("name", .string(name))]))
    }

    /// A header field, by its (lowercased) name; `key:` selects one member of a dictionary field,
    /// `structured:` re-serialises a structured field, `byteSequence:` wraps each field line in base64.
    public static func field(_ name: String, key: String? = nil, structured: Bool = false, byteSequence: Bool = false) -> MessageComponent {
        var parameters = StructuredFields.Parameters()
        if structured { parameters["sf"] = .boolean(true) }
        if let key { parameters["key"] = .string(key) }
        if byteSequence { parameters["bs"] = .boolean(true) }
        return MessageComponent(name.lowercased(), parameters: parameters)
    }

    /// The identifier as it appears in the signature base and `Signature-Input`: `"@query-param";name="Pet"`.
    public var serialized: String {
        get throws {
            do {
                return try StructuredFields.serialize(StructuredFields.Item(.string(name), parameters: parameters))
            } catch let error as StructuredFieldError {
                throw HTTPSignatureError(.invalidComponent, "component \(name) cannot be serialised: \(error)")
            }
        }
    }

    /// The name with its parameters, without quotes: `@query-param;name="Pet"`, `content-digest`.
    public var description: String {
        var out = ""
        // Parameters built from parsed input always serialise; a hand-made invalid key shows as is.
        if (try? StructuredFields.serialize(parameters, into: &out)) == nil {
            out = parameters.entries.map { ";\($0.key)" }.joined()
        }
        return name + out
    }

    var isDerived: Bool { name.hasPrefix("@") }
}

/// Structured types of the fields a signature may cover with `;sf` or `;key`.
enum KnownStructuredFields {
    static func type(of name: String) -> StructuredFields.FieldType? {
        switch name {
        case "signature-input", "signature", "content-digest", "repr-digest", "want-content-digest",
            "want-repr-digest", "accept-signature", "priority", "example-dict", "cache-status", "proxy-status":
            .dictionary
        case "accept-ch", "example-list", "client-cert-chain", "cdn-cache-control":
            .list
        case "client-cert", "origin-agent-cluster", "example-integer", "example-decimal", "example-string",
            "example-token", "example-bytesequence", "example-boolean", "access-control-max-age", "access-control-allow-credentials":
            .item
        default:
            nil
        }
    }
}

/// Builds RFC 9421 signature bases (section 2.5).
enum SignatureBase {
    /// The base for `components` of `message`, ending with the `@signature-params` line.
    static func make(
        message: SignatureMessage, components: [MessageComponent], signatureParams: StructuredFields.InnerList
    ) throws -> [UInt8] {
        var base: [UInt8] = []
        base.reserveCapacity(512)  // an inbox request's base is about 300 bytes
        // A handful of components: a list compares faster than a set hashes.
        var seen: [String] = []
        seen.reserveCapacity(components.count)
        for component in components {
            let identifier = try component.serialized
            guard !seen.contains(identifier) else {
                throw HTTPSignatureError(.invalidComponent, "component \(component) is covered twice")
            }
            seen.append(identifier)
            let value = try componentValue(component, of: message)
            base.append(contentsOf: identifier.utf8)
            base.append(contentsOf: ": ".utf8)
            base.append(contentsOf: value.utf8)
            base.append(0x0A)
        }
        base.append(contentsOf: "\"@signature-params\": ".utf8)
        do {
            base.append(contentsOf: try StructuredFields.serialize(signatureParams).utf8)
        } catch let error as StructuredFieldError {
            throw HTTPSignatureError(.invalidParameter, "signature parameters cannot be serialised: \(error)")
        }
        return base
    }

    static func componentValue(_ component: MessageComponent, of message: SignatureMessage) throws -> String {
        guard !component.name.isEmpty, !component.name.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else {
            throw HTTPSignatureError(.invalidComponent, "component name '\(component.name)' must be lowercase")
        }
        for key in component.parameters.keys where key == "req" || key == "tr" {
            throw HTTPSignatureError(.invalidComponent, "component parameter ;\(key) (on \(component)) is not supported")
        }
        let value = component.isDerived ? try derivedValue(component, of: message) : try fieldValue(component, of: message)
        guard !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
            throw HTTPSignatureError(.invalidComponent, "value of \(component) contains a line break")
        }
        return value
    }

    // MARK: Derived components (section 2.2)

    static func derivedValue(_ component: MessageComponent, of message: SignatureMessage) throws -> String {
        let allowed = component.name == "@query-param" ? ["name"] : []
        for key in component.parameters.keys where !allowed.contains(key) {
            throw HTTPSignatureError(.invalidComponent, "parameter ;\(key) is not valid on \(component.name)")
        }
        if component.name == "@signature-params" {
            throw HTTPSignatureError(.invalidComponent, "@signature-params cannot be listed as a covered component")
        }
        switch message.kind {
        case .response(let status):
            guard component.name == "@status" else {
                throw HTTPSignatureError(.invalidComponent, "\(component.name) is not available on a response (related-request components are not supported)")
            }
            guard (100...999).contains(status) else {
                throw HTTPSignatureError(.invalidComponent, "status \(status) is not a three-digit code")
            }
            return String(status)
        case .request(let method, let scheme, let authority, let target):
            if component.name == "@method" { return method }
            let parts = TargetParts(target)
            switch component.name {
            case "@target-uri":
                if parts.isAbsolute { return target }
                var uri = ""
                uri.reserveCapacity(scheme.utf8.count + 3 + authority.utf8.count + target.utf8.count)
                uri += scheme.lowercased()
                uri += "://"
                uri += authority
                if target != "*" { uri += target }
                return uri
            case "@authority":
                return normalizedAuthority(parts.authority.map(String.init) ?? authority, scheme: scheme)
            case "@scheme":
                return (parts.scheme.map(String.init) ?? scheme).lowercased()
            case "@request-target":
                return target
            case "@path":
                return parts.path.isEmpty ? "/" : String(parts.path)
            case "@query":
                return "?" + (parts.query.map(String.init) ?? "")
            case "@query-param":
                guard case .string(let name)? = component.parameters["name"] else {
                    throw HTTPSignatureError(.invalidComponent, "@query-param needs a string ;name parameter")
                }
                return try queryParameter(named: name, in: parts.query)
            case "@status":
                throw HTTPSignatureError(.invalidComponent, "@status is only available on responses")
            default:
                throw HTTPSignatureError(.invalidComponent, "unknown derived component \(component.name)")
            }
        }
    }

    static func queryParameter(named name: String, in query: Substring?) throws -> String {
        var found: String?
        for pair in FormURLEncoding.decodeAll(query ?? "") where formEncode(pair.name) == name {
            guard found == nil else {
                throw HTTPSignatureError(.invalidComponent, "query parameter '\(name)' occurs more than once; cover @query instead")
            }
            found = formEncode(pair.value)
        }
        guard let found else {
            throw HTTPSignatureError(.missingComponent, "the signature covers query parameter '\(name)' but the request has none")
        }
        return found
    }

    /// Percent-encodes everything but `ALPHA DIGIT * - . _` (section 2.2.8: the
    /// application/x-www-form-urlencoded percent-encode set, with spaces as %20).
    static func formEncode(_ text: String) -> String {
        let digits = Array("0123456789ABCDEF".utf8)
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            if CharacterClass.isAlpha(byte) || CharacterClass.isDigit(byte) || byte == UInt8(ascii: "*")
                || byte == UInt8(ascii: "-") || byte == UInt8(ascii: ".") || byte == UInt8(ascii: "_")
            {
                out.append(byte)
            } else {
                out.append(UInt8(ascii: "%"))
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Lowercase host, default port removed (section 2.2.3 with RFC 9110 section 4.2.3).
    static func normalizedAuthority(_ authority: String, scheme: String) -> String {
        var lowered = authority.lowercased()
        let scheme = scheme.lowercased()
        if scheme == "https", lowered.hasSuffix(":443") {
            lowered.removeLast(4)
        } else if scheme == "http", lowered.hasSuffix(":80") {
            lowered.removeLast(3)
        }
        return lowered
    }

    // MARK: Header fields (section 2.1)

    static func fieldValue(_ component: MessageComponent, of message: SignatureMessage) throws -> String {
        var structured = false
        var byteSequence = false
        var key: String?
        for entry in component.parameters {
            switch (entry.key, entry.value) {
            case ("sf", .boolean(true)): structured = true
            case ("bs", .boolean(true)): byteSequence = true
            case ("key", .string(let name)): key = name
            default:
                throw HTTPSignatureError(.invalidComponent, "parameter ;\(entry.key) on \(component.name) is not supported")
            }
        }
        if byteSequence, structured || key != nil {
            throw HTTPSignatureError(.invalidComponent, "\(component): ;bs cannot be combined with ;sf or ;key")
        }
        let lines = message.headers.values(for: component.name)
        guard !lines.isEmpty else {
            throw HTTPSignatureError(.missingComponent, "the signature covers the \(component.name) header but the message has none")
        }
        if byteSequence {
            return lines.map { ":" + Base64.encode(Array($0.trimmingOWS().utf8)) + ":" }.joined(separator: ", ")
        }
        let combined = lines.count == 1 ? String(lines[0].trimmingOWS()) : lines.map { String($0.trimmingOWS()) }.joined(separator: ", ")
        if let key {
            do {
                let dictionary = try StructuredFields.parseDictionary(combined)
                guard let member = dictionary[key] else {
                    throw HTTPSignatureError(.missingComponent, "the signature covers member '\(key)' of \(component.name) but the field has no such member")
                }
                var out = ""
                try StructuredFields.serialize(member, into: &out)
                return out
            } catch let error as StructuredFieldError {
                throw HTTPSignatureError(.invalidComponent, "\(component.name) is not a structured dictionary: \(error)")
            }
        }
        if structured {
            guard let type = KnownStructuredFields.type(of: component.name) else {
                throw HTTPSignatureError(.invalidComponent, "\(component.name) is not a known structured field, so ;sf cannot be applied")
            }
            do {
                switch type {
                case .dictionary: return try StructuredFields.serialize(StructuredFields.parseDictionary(combined))
                case .list: return try StructuredFields.serialize(StructuredFields.parseList(combined))
                case .item: return try StructuredFields.serialize(StructuredFields.parseItem(combined))
                }
            } catch let error as StructuredFieldError {
                throw HTTPSignatureError(.invalidComponent, "\(component.name) is not a valid structured field: \(error)")
            }
        }
        return combined
    }
}

/// A request-target split into its parts without allocating.
struct TargetParts {
    var scheme: Substring?
    var authority: Substring?
    var path: Substring
    var query: Substring?
    var isAbsolute: Bool { scheme != nil }

    init(_ target: String) {
        // Byte scans: every delimiter is ASCII, so the indices found are character boundaries
        // (Character-level searching showed in inbox profiles).
        var rest = target[...]
        if let hash = rest.utf8.firstIndex(of: UInt8(ascii: "#")) { rest = rest[..<hash] }
        if rest.utf8.first != UInt8(ascii: "/"), let colon = HTTPClientURL.schemeSeparator(in: rest) {
            scheme = rest[..<colon.lowerBound]
            let afterScheme = rest[colon.upperBound...]
            let end = afterScheme.utf8.firstIndex { $0 == UInt8(ascii: "/") || $0 == UInt8(ascii: "?") } ?? afterScheme.endIndex
            authority = afterScheme[..<end]
            rest = afterScheme[end...]
        }
        if let question = rest.utf8.firstIndex(of: UInt8(ascii: "?")) {
            path = rest[..<question]
            query = rest[rest.utf8.index(after: question)...]
        } else {
            path = rest
        }
    }
}
