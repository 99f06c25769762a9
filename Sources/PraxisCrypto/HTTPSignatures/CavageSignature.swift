import Foundation
import PraxisHTTP

/// The parameters of a draft-cavage-http-signatures-12 `Signature` header (or of
/// `Authorization: Signature ...`): `keyId="...",algorithm="rsa-sha256",headers="...",signature="..."`.
public struct CavageSignatureHeader: Sendable, Equatable {
    public var keyID: String
    /// As sent; nil when absent (treated as `hs2019`, as Mastodon does).
    public var algorithm: String?
    /// Covered header names, lowercased, in signed order; the draft's default when `headers` is absent
    /// (`(created)` for hs2019, `date` otherwise).
    public var headers: [String]
    public var signature: [UInt8]
    public var created: Int64?
    public var expires: Int64?

    public init(keyID: String, algorithm: String?, headers: [String], signature: [UInt8], created: Int64? = nil, expires: Int64? = nil) {
        self.keyID = keyID
        self.algorithm = algorithm
        self.headers = headers
        self.signature = signature
        self.created = created
        self.expires = expires
    }

    /// Parses the header value. A leading `Signature ` (the `Authorization` scheme) is accepted.
    /// - Throws: ``HTTPSignatureError`` `malformedSignature` for bad syntax, a repeated parameter,
    ///   a missing `keyId` or `signature`, or a signature that is not base64.
    public static func parse(_ value: String) throws -> CavageSignatureHeader {
        var bytes = Array(value.utf8)[...]
        while let first = bytes.first, first == 0x20 || first == 0x09 { bytes.removeFirst() }
        if bytes.count > 10, String(decoding: bytes.prefix(10), as: UTF8.self).lowercased() == "signature " {
            bytes.removeFirst(10)
        }
        guard bytes.count <= StructuredFields.defaultMaximumLength else {
            throw HTTPSignatureError(.malformedSignature, "Signature header is \(bytes.count) bytes, more than the \(StructuredFields.defaultMaximumLength) accepted")
        }
        var parameters: [String: String] = [:]
        var index = bytes.startIndex
        func isOWS(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
        while true {
            while index < bytes.endIndex, isOWS(bytes[index]) || bytes[index] == UInt8(ascii: ",") { index += 1 }
            if index == bytes.endIndex { break }
            let nameStart = index
            while index < bytes.endIndex, CharacterClass.isTchar(bytes[index]) { index += 1 }
            guard index > nameStart else {
                throw HTTPSignatureError(.malformedSignature, "Signature header: expected a parameter name at byte \(nameStart - bytes.startIndex)")
            }
            let name = String(decoding: bytes[nameStart..<index], as: UTF8.self).lowercased()
            while index < bytes.endIndex, isOWS(bytes[index]) { index += 1 }
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "=") else {
                throw HTTPSignatureError(.malformedSignature, "Signature header: parameter '\(name)' has no '=value'")
            }
            index += 1
            while index < bytes.endIndex, isOWS(bytes[index]) { index += 1 }
            var valueBytes: [UInt8] = []
            if index < bytes.endIndex, bytes[index] == UInt8(ascii: "\"") {
                index += 1
                var closed = false
                while index < bytes.endIndex {
                    let c = bytes[index]
                    index += 1
                    if c == UInt8(ascii: "\\"), index < bytes.endIndex {
                        valueBytes.append(bytes[index])
                        index += 1
                    } else if c == UInt8(ascii: "\"") {
                        closed = true
                        break
                    } else {
                        valueBytes.append(c)
                    }
                }
                guard closed else {
                    throw HTTPSignatureError(.malformedSignature, "Signature header: the value of '\(name)' is missing its closing quote")
                }
            } else {
                while index < bytes.endIndex, bytes[index] != UInt8(ascii: ","), !isOWS(bytes[index]) {
                    valueBytes.append(bytes[index])
                    index += 1
                }
            }
            guard parameters[name] == nil else {
                throw HTTPSignatureError(.malformedSignature, "Signature header: parameter '\(name)' appears twice")
            }
            parameters[name] = String(decoding: valueBytes, as: UTF8.self)
            while index < bytes.endIndex, isOWS(bytes[index]) { index += 1 }
            guard index == bytes.endIndex || bytes[index] == UInt8(ascii: ",") else {
                throw HTTPSignatureError(.malformedSignature, "Signature header: expected ',' after parameter '\(name)'")
            }
        }

        guard let keyID = parameters["keyid"], !keyID.isEmpty else {
            throw HTTPSignatureError(.malformedSignature, "Signature header has no keyId")
        }
        guard let signatureText = parameters["signature"] else {
            throw HTTPSignatureError(.malformedSignature, "Signature header has no signature parameter")
        }
        guard let signature = try? Base64.decode(signatureText), !signature.isEmpty else {
            throw HTTPSignatureError(.malformedSignature, "Signature header: signature is not valid base64")
        }
        let algorithm = parameters["algorithm"]
        var headers: [String]
        if let list = parameters["headers"] {
            // Split and lowercased byte by byte (field names are ASCII tokens): split on Swift
            // `Character`s, a space followed by a combining mark is no separator.
            headers = Array(list.utf8).split(whereSeparator: isOWS).map { name in
                String(decoding: name.map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }, as: UTF8.self)
            }
            guard !headers.isEmpty else { throw HTTPSignatureError(.malformedSignature, "Signature header: headers is empty") }
        } else {
            headers = algorithm == nil || algorithm?.lowercased() == "hs2019" ? ["(created)"] : ["date"]
        }
        return CavageSignatureHeader(
            keyID: keyID, algorithm: algorithm, headers: headers, signature: signature,
            created: try timestamp("created", parameters["created"]), expires: try timestamp("expires", parameters["expires"]))
    }

    /// Integer Unix seconds; a fractional part (allowed for `expires`) is dropped.
    private static func timestamp(_ name: String, _ text: String?) throws -> Int64? {
        guard let text else { return nil }
        let whole = text.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        guard whole.count <= 2, let first = whole.first, !first.isEmpty, first.count <= 15,
            first.utf8.allSatisfy(CharacterClass.isDigit), whole.count == 1 || whole[1].utf8.allSatisfy(CharacterClass.isDigit),
            let value = Int64(first)
        else {
            throw HTTPSignatureError(.invalidParameter, "Signature header: \(name) must be a Unix time in seconds, got '\(text)'")
        }
        return value
    }

    /// The header value, `keyId="...",algorithm="...",headers="...",signature="..."` (plus created/expires when set).
    public var headerValue: String {
        var out = "keyId=\"\(Self.escape(keyID))\""
        if let algorithm { out += ",algorithm=\"\(Self.escape(algorithm))\"" }
        if let created { out += ",created=\(created)" }
        if let expires { out += ",expires=\(expires)" }
        out += ",headers=\"\(Self.escape(headers.joined(separator: " ")))\""
        out += ",signature=\"\(Base64.encode(signature))\""
        return out
    }

    /// Escapes `"` and `\` byte by byte, as ``parse(_:)`` reads them. (Matching Swift
    /// `Character`s or NSString ranges would miss a backslash followed by a combining mark, which
    /// forms one grapheme with it: a fuzz finding.)
    private static func escape(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count + 8)
        for byte in bytes {
            if byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "\\") { out.append(UInt8(ascii: "\\")) }
            out.append(byte)
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// The keys a cavage signature is made with: RSA signs `rsa-sha256`, Ed25519 signs `hs2019`.
public enum CavageSigningKey: Sendable {
    case rsa(RSAPrivateKey)
    case ed25519(Ed25519PrivateKey)
}

/// The keys a cavage signature is checked with. `hs2019` is verified according to the key's type:
/// RSASSA-PKCS1-v1_5 with SHA-256 for RSA (what Mastodon sends and accepts), Ed25519 for Ed25519.
public enum CavageVerificationKey: Sendable {
    case rsa(RSAPublicKey)
    case ed25519(Ed25519PublicKey)
}

/// What a cavage verifier requires beyond a valid signature.
public struct CavageSignaturePolicy: Sendable {
    /// Header names (lowercase, pseudo-headers in parentheses) that must be covered.
    public var requiredHeaders: [String]
    /// Require `date` or `(created)` to be covered, and check it against the clock.
    public var requiresDateOrCreated: Bool
    /// Refuse a Date / `(created)` older than this.
    public var maximumAge: TimeInterval?
    /// Refuse a Date / `(created)` later than now plus this; also the grace given to `(expires)`.
    public var maximumClockSkew: TimeInterval
    /// Retry a failed `(request-target)` without the query string, as Mastodon does because its
    /// older versions signed the path alone.
    public var allowsPathOnlyRequestTarget: Bool

    public init(
        requiredHeaders: [String] = ["(request-target)", "host"], requiresDateOrCreated: Bool = true,
        maximumAge: TimeInterval? = 3600, maximumClockSkew: TimeInterval = 3600, allowsPathOnlyRequestTarget: Bool = true
    ) {
        self.requiredHeaders = requiredHeaders
        self.requiresDateOrCreated = requiresDateOrCreated
        self.maximumAge = maximumAge
        self.maximumClockSkew = maximumClockSkew
        self.allowsPathOnlyRequestTarget = allowsPathOnlyRequestTarget
    }
}

/// What a verified cavage signature says.
public struct VerifiedCavageSignature: Sendable {
    public let keyID: String
    /// `rsa-sha256` or `hs2019`.
    public let algorithm: String
    /// Covered header names in signed order.
    public let coveredHeaders: [String]
    /// The `(created)` value, else the covered Date header.
    public let created: Date?
    public let expires: Date?
}

/// draft-cavage-http-signatures-12, the signature scheme of Mastodon and most of the fediverse.
public enum CavageSignature {
    /// The signature header of a request: `Signature`, else `Authorization: Signature ...`.
    /// - Throws: ``HTTPSignatureError`` `missingSignature` when neither is present, or a parse error.
    public static func header(in headers: HTTPHeaders) throws -> CavageSignatureHeader {
        if let value = headers["Signature"] { return try CavageSignatureHeader.parse(value) }
        if let authorization = headers["Authorization"], authorization.utf8.count > 10,
            authorization.prefix(10).lowercased() == "signature "
        {
            return try CavageSignatureHeader.parse(authorization)
        }
        throw HTTPSignatureError(.missingSignature, "the request has no Signature header (nor Authorization: Signature)")
    }

    /// The signing string (section 2.3) for `coveredHeaders` of a request.
    /// - Throws: ``HTTPSignatureError`` `missingComponent` for a header the request lacks,
    ///   `invalidComponent` for `(created)`/`(expires)` with an `rsa-*`, `hmac-*` or `ecdsa-*` algorithm
    ///   or without the matching parameter, or a header listed twice.
    public static func signingString(
        coveredHeaders: [String], method: String, target: String, headers: HTTPHeaders, algorithm: String?,
        created: Int64? = nil, expires: Int64? = nil
    ) throws -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(256)
        let lowerAlgorithm = algorithm?.lowercased() ?? "hs2019"
        let forbidsTimestamps = ["rsa", "hmac", "ecdsa"].contains { lowerAlgorithm.hasPrefix($0) }
        var seen = Set<String>(minimumCapacity: coveredHeaders.count)
        for (offset, name) in coveredHeaders.enumerated() {
            if !seen.insert(name).inserted {
                throw HTTPSignatureError(.invalidComponent, "header '\(name)' is listed twice in headers")
            }
            let value: String
            switch name {
            case "(request-target)":
                value = method.lowercased() + " " + target
            case "(created)", "(expires)":
                guard !forbidsTimestamps else {
                    throw HTTPSignatureError(.invalidComponent, "pseudo-header \(name) cannot be used with \(lowerAlgorithm); use hs2019")
                }
                guard let stamp = name == "(created)" ? created : expires else {
                    throw HTTPSignatureError(.invalidComponent, "\(name) is signed but the \(name.dropFirst().dropLast()) parameter is missing")
                }
                value = String(stamp)
            default:
                let lines = headers.values(for: name)
                guard !lines.isEmpty else {
                    throw HTTPSignatureError(.missingComponent, "the signature covers the \(name) header but the request has none")
                }
                value = lines.count == 1 ? String(lines[0].trimmingOWS()) : lines.map { String($0.trimmingOWS()) }.joined(separator: ", ")
                guard !value.utf8.contains(where: { $0 == 0x0A || $0 == 0x0D }) else {
                    throw HTTPSignatureError(.invalidComponent, "the \(name) header contains a line break")
                }
            }
            if offset > 0 { out.append(0x0A) }
            out.append(contentsOf: name.utf8)
            out.append(contentsOf: ": ".utf8)
            out.append(contentsOf: value.utf8)
        }
        return out
    }

    /// Signs a request and sets its `Signature` header; returns the header value.
    ///
    /// An RSA key signs as `rsa-sha256` (what Mastodon expects) unless `(created)`/`(expires)` are
    /// covered, which only `hs2019` allows; an Ed25519 key always signs as `hs2019`.
    /// The caller sets the covered headers (Host, Date, Digest) first.
    @discardableResult
    public static func sign(
        method: HTTPMethod, target: String, headers: inout HTTPHeaders, coveredHeaders: [String], keyID: String,
        key: CavageSigningKey, created: Int64? = nil, expires: Int64? = nil
    ) throws -> String {
        let covered = coveredHeaders.map { $0.lowercased() }
        let usesTimestamps = covered.contains("(created)") || covered.contains("(expires)")
        let algorithm: String
        switch key {
        case .rsa: algorithm = usesTimestamps ? "hs2019" : "rsa-sha256"
        case .ed25519: algorithm = "hs2019"
        }
        let string = try signingString(
            coveredHeaders: covered, method: method.rawValue, target: target, headers: headers, algorithm: algorithm,
            created: created, expires: expires)
        let signature: [UInt8]
        do {
            switch key {
            case .rsa(let rsa): signature = try rsa.signature(for: string, padding: .pkcs1v15SHA256)
            case .ed25519(let ed): signature = try ed.signature(for: string)
            }
        } catch let error as CryptoError {
            throw HTTPSignatureError(.signingFailed, "\(algorithm) signing failed: \(error)")
        }
        let header = CavageSignatureHeader(
            keyID: keyID, algorithm: algorithm, headers: covered, signature: signature,
            created: covered.contains("(created)") ? created : nil, expires: covered.contains("(expires)") ? expires : nil)
        let value = header.headerValue
        headers["Signature"] = value
        return value
    }

    /// Verifies the cavage signature of a request.
    /// - Parameter keyResolver: the key for a `keyId`, or nil when unknown.
    /// - Throws: ``HTTPSignatureError`` naming the first requirement that failed.
    public static func verify(
        method: HTTPMethod, target: String, headers: HTTPHeaders, policy: CavageSignaturePolicy, now: Date,
        keyResolver: (_ keyID: String) throws -> CavageVerificationKey?
    ) throws -> VerifiedCavageSignature {
        try verify(
            method: method, target: target, headers: headers, parsed: header(in: headers), policy: policy, now: now,
            keyResolver: keyResolver)
    }

    /// ``verify(method:target:headers:policy:now:keyResolver:)`` with the signature header already
    /// parsed from `headers`.
    static func verify(
        method: HTTPMethod, target: String, headers: HTTPHeaders, parsed: CavageSignatureHeader,
        policy: CavageSignaturePolicy, now: Date, keyResolver: (_ keyID: String) throws -> CavageVerificationKey?
    ) throws -> VerifiedCavageSignature {
        let algorithm = parsed.algorithm?.lowercased() ?? "hs2019"
        guard algorithm == "hs2019" || algorithm == "rsa-sha256" else {
            throw HTTPSignatureError(.unsupportedAlgorithm, "cavage algorithm '\(parsed.algorithm ?? "")' is not supported (use rsa-sha256 or hs2019)")
        }
        for required in policy.requiredHeaders where !parsed.headers.contains(required) {
            throw HTTPSignatureError(.requiredComponentNotCovered, "signature does not cover \(required)")
        }

        // Time window: (created) when signed, else the signed Date header.
        var created: Int64?
        var what = "Date header"
        if parsed.headers.contains("(created)") {
            created = parsed.created
            what = "signature (created)"
        } else if parsed.headers.contains("date") {
            guard let dateText = headers["Date"] else {
                throw HTTPSignatureError(.missingComponent, "the signature covers the date header but the request has none")
            }
            guard let seconds = HTTPDate.parseSeconds(dateText) else {
                throw HTTPSignatureError(.invalidParameter, "Date header '\(dateText)' is not an HTTP-date (use e.g. 'Tue, 20 Apr 2021 02:07:55 GMT')")
            }
            created = seconds
        } else if policy.requiresDateOrCreated {
            throw HTTPSignatureError(.requiredComponentNotCovered, "signature covers neither date nor (created)")
        }
        let expires = parsed.headers.contains("(expires)") ? parsed.expires : nil
        let timePolicy = MessageSignaturePolicy(
            requiresCreated: policy.requiresDateOrCreated, maximumAge: policy.maximumAge, maximumClockSkew: policy.maximumClockSkew)
        try MessageSignature.checkTimes(created: created, expires: expires, policy: timePolicy, now: now, what: what)

        guard let key = try keyResolver(parsed.keyID) else {
            throw HTTPSignatureError(.unknownKey, "no key is known for keyId '\(parsed.keyID)'")
        }
        if case .ed25519 = key, algorithm == "rsa-sha256" {
            throw HTTPSignatureError(.algorithmMismatch, "signature declares rsa-sha256 but key '\(parsed.keyID)' is an Ed25519 key")
        }

        var targets = [target]
        if policy.allowsPathOnlyRequestTarget, let question = target.firstIndex(of: "?") {
            targets.append(String(target[..<question]))
        }
        for candidate in targets {
            let string = try signingString(
                coveredHeaders: parsed.headers, method: method.rawValue, target: candidate, headers: headers,
                algorithm: parsed.algorithm, created: parsed.created, expires: parsed.expires)
            let valid: Bool
            switch key {
            case .rsa(let rsa): valid = rsa.isValidSignature(parsed.signature, for: string, padding: .pkcs1v15SHA256)
            case .ed25519(let ed): valid = ed.isValidSignature(parsed.signature, for: string)
            }
            if valid {
                return VerifiedCavageSignature(
                    keyID: parsed.keyID, algorithm: algorithm, coveredHeaders: parsed.headers,
                    created: created.map { Date(timeIntervalSince1970: TimeInterval($0)) },
                    expires: expires.map { Date(timeIntervalSince1970: TimeInterval($0)) })
            }
            // Only the request-target differs between the two attempts; skip the retry when it is not signed.
            if !parsed.headers.contains("(request-target)") { break }
        }
        throw HTTPSignatureError(.invalidSignature, "signature does not verify with key '\(parsed.keyID)' (\(algorithm)): wrong key, or a signed header was changed")
    }
}
