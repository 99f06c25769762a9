/// Why an HTTP signature (RFC 9421 or draft-cavage) or a body digest was refused or could not be made.
///
/// ``message`` is written for the operator of the remote node: it names the header, the component
/// or the time difference involved ("Date header is 2 hours old; clock skew allowed is 1 hour"), so
/// it can be returned as is in a 401 response body. Switch on ``kind`` to choose the status code
/// (everything here is the sender's fault except `keyUnavailable`, which may be transient).
public struct HTTPSignatureError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable, CaseIterable {
        /// No `Signature-Input`/`Signature` (RFC 9421) nor `Signature`/`Authorization: Signature` (cavage).
        case missingSignature
        /// A signature header does not parse, or misses a mandatory parameter (`keyId`, `signature`).
        case malformedSignature
        /// A signature parameter has a wrong type or an impossible value (expires before created).
        case invalidParameter
        /// The algorithm is not one this library implements.
        case unsupportedAlgorithm
        /// The declared algorithm does not match the key the verifier resolved for `keyid`.
        case algorithmMismatch
        /// The key resolver knows no key for this key id.
        case unknownKey
        /// A covered component names something the message does not have (a missing header).
        case missingComponent
        /// A covered component is not supported, duplicated, or not valid for this message.
        case invalidComponent
        /// The verifier's policy requires a component that the signature does not cover.
        case requiredComponentNotCovered
        /// The message has a body but no `Content-Digest` / `Digest` header.
        case missingDigest
        /// The digest header names no algorithm this library supports.
        case unsupportedDigestAlgorithm
        /// The digest header is malformed.
        case malformedDigest
        /// The digest header does not match the body.
        case digestMismatch
        /// `created` (or the Date header) is later than now plus the allowed skew.
        case createdInFuture
        /// `created` (or the Date header) is older than allowed.
        case tooOld
        /// `expires` has passed.
        case expired
        /// The policy requires `created` (or a covered Date) and the signature has none.
        case missingTimestamp
        /// The signed Host / authority is not this node.
        case wrongAuthority
        /// The cryptographic check failed: wrong key, or the covered content was changed.
        case invalidSignature
        /// Signing failed (the key refused the operation).
        case signingFailed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Human wording for durations in error messages ("2 hours", "90 seconds").
enum DurationText {
    static func describe(_ seconds: Double) -> String {
        let value = abs(seconds)
        func unit(_ amount: Double, _ name: String) -> String {
            let rounded = (amount * 10).rounded() / 10
            let number = rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
            return "\(number) \(name)\(rounded == 1 ? "" : "s")"
        }
        if value < 120 { return unit(value.rounded(), "second") }
        if value < 3600 { return unit((value / 60).rounded(), "minute") }
        if value < 172_800 { return unit(value / 3600, "hour") }
        return unit((value / 86400).rounded(), "day")
    }
}
