import Foundation
import PraxisHTTP

/// The metadata parameters of an RFC 9421 signature (section 2.3).
///
/// When signing they are written in the order `created`, `keyid`, `alg`, `expires`, `nonce`, `tag`
/// (the order of the RFC's own examples). When verifying, the received parameters are signed back
/// exactly as they arrived; these fields only report them.
public struct MessageSignatureParameters: Sendable, Equatable {
    /// Unix seconds.
    public var created: Int64?
    public var keyID: String?
    /// Written as `alg`; leave nil to let the verifier take the algorithm from the key alone.
    public var algorithm: MessageSignatureAlgorithm?
    /// Unix seconds.
    public var expires: Int64?
    public var nonce: String?
    public var tag: String?

    public init(
        created: Int64? = nil, keyID: String? = nil, algorithm: MessageSignatureAlgorithm? = nil,
        expires: Int64? = nil, nonce: String? = nil, tag: String? = nil
    ) {
        self.created = created
        self.keyID = keyID
        self.algorithm = algorithm
        self.expires = expires
        self.nonce = nonce
        self.tag = tag
    }

    var structured: StructuredFields.Parameters {
        var parameters = StructuredFields.Parameters()
        if let created { parameters["created"] = .integer(created) }
        if let keyID { parameters["keyid"] = .string(keyID) }
        if let algorithm { parameters["alg"] = .string(algorithm.rawValue) }
        if let expires { parameters["expires"] = .integer(expires) }
        if let nonce { parameters["nonce"] = .string(nonce) }
        if let tag { parameters["tag"] = .string(tag) }
        return parameters
    }
}

/// One signature made by ``MessageSignature/sign(_:label:components:parameters:key:)``.
public struct MessageSignatureOutput: Sendable {
    public let label: String
    /// The `@signature-params` value, also the label's member in `Signature-Input`.
    public let signatureParams: String
    /// The raw signature bytes.
    public let signature: [UInt8]
    /// The exact bytes that were signed.
    public let signatureBase: [UInt8]

    /// `label=(...);created=...`, a member of the `Signature-Input` dictionary.
    public var signatureInputMember: String { label + "=" + signatureParams }
    /// `label=:base64:`, a member of the `Signature` dictionary.
    public var signatureMember: String { label + "=:" + Base64.encode(signature) + ":" }

    /// Adds this signature to the `Signature-Input` and `Signature` fields of `headers`, after any
    /// signature already there.
    public func apply(to headers: inout HTTPHeaders) {
        for (name, member) in [("Signature-Input", signatureInputMember), ("Signature", signatureMember)] {
            if let existing = headers.combinedValue(for: name), !existing.trimmingOWS().isEmpty {
                headers[name] = existing + ", " + member
            } else {
                headers[name] = member
            }
        }
    }
}

/// What a verified RFC 9421 signature says.
public struct VerifiedMessageSignature: Sendable {
    public let label: String
    public let keyID: String
    public let algorithm: MessageSignatureAlgorithm
    /// The covered components in signed order.
    public let coveredComponents: [MessageComponent]
    public let created: Date?
    public let expires: Date?
    public let nonce: String?
    public let tag: String?
}

/// What a verifier insists on beyond a valid signature.
public struct MessageSignaturePolicy: Sendable {
    /// Component names that must be covered, such as `@method`, `@target-uri`, `content-digest`.
    /// A component counts when covered whole: under its name with no parameter, or with `;sf` / `;bs`.
    public var requiredComponents: [String]
    /// Refuse signatures without `created`.
    public var requiresCreated: Bool
    /// Refuse a `created` older than this many seconds (nil: no limit beyond `expires`).
    public var maximumAge: TimeInterval?
    /// Refuse a `created` later than now plus this; also the grace given to `expires`, because the
    /// signer's clock may be this far behind ours (Mastodon does the same).
    public var maximumClockSkew: TimeInterval

    public init(
        requiredComponents: [String] = [], requiresCreated: Bool = true, maximumAge: TimeInterval? = 3600,
        maximumClockSkew: TimeInterval = 3600
    ) {
        self.requiredComponents = requiredComponents
        self.requiresCreated = requiresCreated
        self.maximumAge = maximumAge
        self.maximumClockSkew = maximumClockSkew
    }
}

/// RFC 9421 HTTP Message Signatures: signing and verifying.
///
/// ```swift
/// let message = SignatureMessage.request(method: .post, scheme: "https", authority: "b.example",
///                                        target: "/inbox", headers: headers)
/// let output = try MessageSignature.sign(message, label: "sig1",
///     components: ["@method", "@target-uri", "content-digest"],
///     parameters: .init(created: now, keyID: keyID, algorithm: .ed25519), key: .ed25519(key))
/// output.apply(to: &headers)
/// ```
public enum MessageSignature {
    /// The signature base for `components` and `parameters` (exposed for tests and debugging).
    public static func signatureBase(
        for message: SignatureMessage, components: [MessageComponent], parameters: MessageSignatureParameters
    ) throws -> [UInt8] {
        try SignatureBase.make(message: message, components: components, signatureParams: innerList(components, parameters.structured))
    }

    /// The signature base a verifier rebuilds for the received signature `label` (nil: the first one)
    /// of `message`, from its `Signature-Input`; for diagnosing a signature that does not verify.
    public static func signatureBase(ofReceived message: SignatureMessage, label: String? = nil) throws -> [UInt8] {
        let selected = try select(message.headers, label: label)
        var components: [MessageComponent] = []
        for item in selected.input.items {
            guard case .string(let name) = item.bareItem else {
                throw HTTPSignatureError(.malformedSignature, "Signature-Input \(selected.label): covered components must be strings")
            }
            components.append(MessageComponent(name, parameters: item.parameters))
        }
        return try SignatureBase.make(message: message, components: components, signatureParams: selected.input)
    }

    /// Signs `components` of `message` under `label`.
    /// - Throws: ``HTTPSignatureError``: a covered header is missing (`missingComponent`), a component is
    ///   invalid for the message, the label is not a valid key, or the key fails.
    public static func sign(
        _ message: SignatureMessage, label: String, components: [MessageComponent], parameters: MessageSignatureParameters,
        key: MessageSigningKey
    ) throws -> MessageSignatureOutput {
        guard StructuredFields.isValidKey(label) else {
            throw HTTPSignatureError(.invalidParameter, "signature label '\(label)' must be a lowercase structured-field key")
        }
        if let declared = parameters.algorithm, declared != key.algorithm {
            throw HTTPSignatureError(.algorithmMismatch, "alg=\(declared.rawValue) does not match the \(key.algorithm.rawValue) key")
        }
        let list = innerList(components, parameters.structured)
        let base = try SignatureBase.make(message: message, components: components, signatureParams: list)
        let signature = try key.sign(base)
        let params = try serialize(list)
        return MessageSignatureOutput(label: label, signatureParams: params, signature: signature, signatureBase: base)
    }

    /// The label and `keyid` of the signature ``verify(_:label:policy:now:keyResolver:)`` would check,
    /// without any cryptography, so that the caller can fetch the key first.
    public static func keyID(of headers: HTTPHeaders, label: String? = nil) throws -> (label: String, keyID: String) {
        let selected = try select(headers, label: label)
        let keyID = try stringParameter("keyid", in: selected.input.parameters, label: selected.label)
        guard let keyID else {
            throw HTTPSignatureError(.malformedSignature, "Signature-Input \(selected.label) has no keyid parameter")
        }
        return (selected.label, keyID)
    }

    /// Verifies one signature of `message`.
    ///
    /// - Parameters:
    ///   - label: the signature to check; nil takes the first member of `Signature-Input`.
    ///   - keyResolver: returns the key for a `keyid` (the declared `alg` is passed for information;
    ///     the returned key decides the algorithm), or nil when the key is unknown.
    /// - Throws: ``HTTPSignatureError`` naming the first requirement that failed.
    public static func verify(
        _ message: SignatureMessage, label: String? = nil, policy: MessageSignaturePolicy, now: Date,
        keyResolver: (_ keyID: String, _ declaredAlgorithm: MessageSignatureAlgorithm?) throws -> MessageVerificationKey?
    ) throws -> VerifiedMessageSignature {
        try verify(message, selected: select(message.headers, label: label), policy: policy, now: now, keyResolver: keyResolver)
    }

    /// ``verify(_:label:policy:now:keyResolver:)`` of a signature already selected from the
    /// message's headers (the inbox parses them once, for the key id and for verification).
    static func verify(
        _ message: SignatureMessage, selected: Selected, policy: MessageSignaturePolicy, now: Date,
        keyResolver: (_ keyID: String, _ declaredAlgorithm: MessageSignatureAlgorithm?) throws -> MessageVerificationKey?
    ) throws -> VerifiedMessageSignature {
        let name = selected.label
        let params = selected.input.parameters

        // Parameters, cheapest checks first.
        guard let keyID = try stringParameter("keyid", in: params, label: name) else {
            throw HTTPSignatureError(.malformedSignature, "Signature-Input \(name) has no keyid parameter")
        }
        var declared: MessageSignatureAlgorithm?
        if let alg = try stringParameter("alg", in: params, label: name) {
            guard let known = MessageSignatureAlgorithm(rawValue: alg) else {
                let supported = MessageSignatureAlgorithm.allCases.map(\.rawValue).joined(separator: ", ")
                throw HTTPSignatureError(.unsupportedAlgorithm, "signature algorithm '\(alg)' is not supported (supported: \(supported))")
            }
            declared = known
        }
        let created = try integerParameter("created", in: params, label: name)
        let expires = try integerParameter("expires", in: params, label: name)
        let nonce = try stringParameter("nonce", in: params, label: name)
        let tag = try stringParameter("tag", in: params, label: name)

        var components: [MessageComponent] = []
        components.reserveCapacity(selected.input.items.count)
        for item in selected.input.items {
            guard case .string(let componentName) = item.bareItem else {
                throw HTTPSignatureError(.malformedSignature, "Signature-Input \(name): covered components must be strings")
            }
            components.append(MessageComponent(componentName, parameters: item.parameters))
        }
        for required in policy.requiredComponents where !covers(components, required) {
            throw HTTPSignatureError(.requiredComponentNotCovered, "signature does not cover \(required)")
        }

        try checkTimes(created: created, expires: expires, policy: policy, now: now, what: "signature 'created'")

        guard let key = try keyResolver(keyID, declared) else {
            throw HTTPSignatureError(.unknownKey, "no key is known for keyid '\(keyID)'")
        }
        if let declared, declared != key.algorithm {
            throw HTTPSignatureError(.algorithmMismatch, "signature declares alg=\(declared.rawValue) but key '\(keyID)' is a \(key.algorithm.rawValue) key")
        }
        let base = try SignatureBase.make(message: message, components: components, signatureParams: selected.input)
        guard key.isValid(selected.signature, for: base) else {
            throw HTTPSignatureError(.invalidSignature, "signature \(name) does not verify with key '\(keyID)' (\(key.algorithm.rawValue)): wrong key, or a covered component was changed")
        }
        return VerifiedMessageSignature(
            label: name, keyID: keyID, algorithm: key.algorithm, coveredComponents: components,
            created: created.map { Date(timeIntervalSince1970: TimeInterval($0)) },
            expires: expires.map { Date(timeIntervalSince1970: TimeInterval($0)) }, nonce: nonce, tag: tag)
    }

    // MARK: - Helpers

    static func innerList(_ components: [MessageComponent], _ parameters: StructuredFields.Parameters) -> StructuredFields.InnerList {
        StructuredFields.InnerList(components.map { StructuredFields.Item(.string($0.name), parameters: $0.parameters) }, parameters: parameters)
    }

    static func serialize(_ list: StructuredFields.InnerList) throws -> String {
        do {
            return try StructuredFields.serialize(list)
        } catch let error as StructuredFieldError {
            throw HTTPSignatureError(.invalidParameter, "signature parameters cannot be serialised: \(error)")
        }
    }

    /// True when `components` cover the whole of the component called `required`.
    static func covers(_ components: [MessageComponent], _ required: String) -> Bool {
        components.contains { component in
            component.name == required && component.parameters.keys.allSatisfy { $0 == "sf" || $0 == "bs" }
        }
    }

    /// Enforces the clock window on a creation time (Unix seconds) and an optional expiry.
    static func checkTimes(created: Int64?, expires: Int64?, policy: MessageSignaturePolicy, now: Date, what: String) throws {
        let nowSeconds = now.timeIntervalSince1970
        // Expiry first: for a stale signature that carries `expires`, "expired" is the clearer reason.
        if let expires {
            if let created, expires < created {
                throw HTTPSignatureError(.invalidParameter, "signature expires (\(expires)) before it was created (\(created))")
            }
            let overdue = nowSeconds - TimeInterval(expires)
            if overdue > policy.maximumClockSkew {
                throw HTTPSignatureError(.expired, "signature expired \(DurationText.describe(overdue)) ago; clock skew allowed is \(DurationText.describe(policy.maximumClockSkew))")
            }
        }
        if let created {
            let age = nowSeconds - TimeInterval(created)
            if -age > policy.maximumClockSkew {
                throw HTTPSignatureError(.createdInFuture, "\(what) is \(DurationText.describe(-age)) in the future; clock skew allowed is \(DurationText.describe(policy.maximumClockSkew))")
            }
            if let maximumAge = policy.maximumAge, age > maximumAge {
                throw HTTPSignatureError(.tooOld, "\(what) is \(DurationText.describe(age)) old; clock skew allowed is \(DurationText.describe(maximumAge))")
            }
        } else if policy.requiresCreated {
            throw HTTPSignatureError(.missingTimestamp, "\(what) is missing; it is required")
        }
    }

    struct Selected: Sendable {
        var label: String
        var input: StructuredFields.InnerList
        var signature: [UInt8]
    }

    static func select(_ headers: HTTPHeaders, label: String?) throws -> Selected {
        guard let inputText = headers.combinedValue(for: "Signature-Input") else {
            throw HTTPSignatureError(.missingSignature, "the request has no Signature-Input header")
        }
        guard let signatureText = headers.combinedValue(for: "Signature") else {
            throw HTTPSignatureError(.missingSignature, "the request has Signature-Input but no Signature header")
        }
        let inputs: StructuredFields.Dictionary
        let signatures: StructuredFields.Dictionary
        do {
            inputs = try StructuredFields.parseDictionary(inputText)
        } catch let error as StructuredFieldError {
            throw HTTPSignatureError(.malformedSignature, "Signature-Input is not a valid structured dictionary: \(error)")
        }
        do {
            signatures = try StructuredFields.parseDictionary(signatureText)
        } catch let error as StructuredFieldError {
            throw HTTPSignatureError(.malformedSignature, "Signature is not a valid structured dictionary: \(error)")
        }
        guard let chosen = label ?? inputs.entries.first?.key else {
            throw HTTPSignatureError(.missingSignature, "Signature-Input is empty")
        }
        guard let inputMember = inputs[chosen] else {
            throw HTTPSignatureError(.missingSignature, "Signature-Input has no signature labelled '\(chosen)'")
        }
        guard case .innerList(let input) = inputMember else {
            throw HTTPSignatureError(.malformedSignature, "Signature-Input \(chosen) must be an inner list of components")
        }
        guard let signatureMember = signatures[chosen] else {
            throw HTTPSignatureError(.malformedSignature, "Signature has no value labelled '\(chosen)'")
        }
        guard case .item(let item) = signatureMember, case .byteSequence(let signature) = item.bareItem else {
            throw HTTPSignatureError(.malformedSignature, "Signature \(chosen) must be a byte sequence (:base64:)")
        }
        return Selected(label: chosen, input: input, signature: signature)
    }

    static func stringParameter(_ key: String, in parameters: StructuredFields.Parameters, label: String) throws -> String? {
        guard let value = parameters[key] else { return nil }
        guard case .string(let text) = value else {
            throw HTTPSignatureError(.invalidParameter, "Signature-Input \(label): \(key) must be a string")
        }
        return text
    }

    static func integerParameter(_ key: String, in parameters: StructuredFields.Parameters, label: String) throws -> Int64? {
        guard let value = parameters[key] else { return nil }
        guard case .integer(let number) = value else {
            throw HTTPSignatureError(.invalidParameter, "Signature-Input \(label): \(key) must be an integer (Unix seconds)")
        }
        return number
    }
}
