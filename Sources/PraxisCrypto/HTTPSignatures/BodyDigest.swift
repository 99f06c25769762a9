/// `Content-Digest` (RFC 9530): a structured dictionary `sha-256=:BASE64:, sha-512=:BASE64:`.
///
/// The RFC 9421 profile signs this header instead of the body; the body is then tied to the
/// signature by checking the digest here. Algorithms other than `sha-256` and `sha-512` in a
/// received header are ignored (RFC 9530 lets a sender add several); a header with none of the two
/// is refused, and every supported one present must match.
public enum ContentDigest {
    public enum Algorithm: String, Sendable, CaseIterable {
        case sha256 = "sha-256"
        case sha512 = "sha-512"

        func hash(_ body: [UInt8]) -> [UInt8] {
            switch self {
            case .sha256: SHA256.hash(body)
            case .sha512: SHA512.hash(body)
            }
        }
    }

    /// The header value for `body`, e.g. `sha-256=:X48E9qOokqqrvdts8nOJRJN3OWDUoyWxBf7kbu9DBPE=:`.
    public static func headerValue(for body: [UInt8], algorithms: [Algorithm] = [.sha256]) -> String {
        algorithms.map { "\($0.rawValue)=:\(Base64.encode($0.hash(body))):" }.joined(separator: ", ")
    }

    /// Checks a received `Content-Digest` value against the body.
    /// - Returns: the algorithms that were checked (all matched).
    /// - Throws: ``HTTPSignatureError`` `malformedDigest`, `unsupportedDigestAlgorithm` or `digestMismatch`.
    @discardableResult
    public static func verify(_ headerValue: String, body: [UInt8]) throws -> [Algorithm] {
        let dictionary: StructuredFields.Dictionary
        do {
            dictionary = try StructuredFields.parseDictionary(headerValue)
        } catch let error as StructuredFieldError {
            throw HTTPSignatureError(.malformedDigest, "Content-Digest is not a valid structured dictionary: \(error)")
        }
        var checked: [Algorithm] = []
        for entry in dictionary.entries {
            guard let algorithm = Algorithm(rawValue: entry.key) else { continue }
            guard case .item(let item) = entry.value, case .byteSequence(let expected) = item.bareItem else {
                throw HTTPSignatureError(.malformedDigest, "Content-Digest \(entry.key) must be a byte sequence (:base64:)")
            }
            guard ConstantTime.equals(algorithm.hash(body), expected) else {
                throw HTTPSignatureError(.digestMismatch, "Content-Digest does not match the body (\(entry.key) of the \(body.count)-byte body differs)")
            }
            checked.append(algorithm)
        }
        guard !checked.isEmpty else {
            let names = dictionary.keys.isEmpty ? "no algorithm" : dictionary.keys.joined(separator: ", ")
            throw HTTPSignatureError(.unsupportedDigestAlgorithm, "Content-Digest has \(names); send sha-256 or sha-512")
        }
        return checked
    }
}

/// The `Digest` header of RFC 3230 as draft-cavage signers (Mastodon) send it: `SHA-256=BASE64`.
///
/// Algorithm names compare case-insensitively (`sha-256=` is seen in the wild); `SHA-256` and
/// `SHA-512` are checked, others ignored, and a header with neither is refused.
public enum DigestHeader {
    /// `SHA-256=<base64 of SHA-256(body)>`.
    public static func headerValue(for body: [UInt8]) -> String {
        "SHA-256=" + Base64.encode(SHA256.hash(body))
    }

    /// Checks a received `Digest` value against the body.
    /// - Throws: ``HTTPSignatureError`` `malformedDigest`, `unsupportedDigestAlgorithm` or `digestMismatch`.
    public static func verify(_ headerValue: String, body: [UInt8]) throws {
        var names: [String] = []
        var checked = 0
        for part in headerValue.split(separator: ",", omittingEmptySubsequences: true) {
            let trimmed = part.trimmingOWS()
            guard let equals = trimmed.firstIndex(of: "=") else {
                throw HTTPSignatureError(.malformedDigest, "Digest entry '\(trimmed)' is not of the form algorithm=value")
            }
            let name = trimmed[..<equals].lowercased()
            let value = String(trimmed[trimmed.index(after: equals)...])
            names.append(name)
            let algorithm: ContentDigest.Algorithm
            switch name {
            case "sha-256": algorithm = .sha256
            case "sha-512": algorithm = .sha512
            default: continue
            }
            guard let expected = try? Base64.decode(value) else {
                throw HTTPSignatureError(.malformedDigest, "Digest \(name) value is not valid base64")
            }
            guard ConstantTime.equals(algorithm.hash(body), expected) else {
                throw HTTPSignatureError(.digestMismatch, "Digest header does not match the body (\(name.uppercased()) of the \(body.count)-byte body differs)")
            }
            checked += 1
        }
        guard checked > 0 else {
            let listed = names.isEmpty ? "no algorithm" : names.joined(separator: ", ")
            throw HTTPSignatureError(.unsupportedDigestAlgorithm, "Digest header has \(listed); send SHA-256")
        }
    }
}

extension Substring {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    func trimmingOWS() -> Substring {
        let utf8 = self.utf8
        var start = utf8.startIndex
        var end = utf8.endIndex
        while start < end, utf8[start] == 0x20 || utf8[start] == 0x09 { start = utf8.index(after: start) }
        while end > start {
            let before = utf8.index(before: end)
            guard utf8[before] == 0x20 || utf8[before] == 0x09 else { break }
            end = before
        }
        return self[start..<end]
    }
}

extension String {
    /// Without leading and trailing spaces and tabs (HTTP optional whitespace).
    func trimmingOWS() -> Substring {
        self[...].trimmingOWS()
    }
}
