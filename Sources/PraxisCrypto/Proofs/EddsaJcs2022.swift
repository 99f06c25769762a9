import Foundation
import PraxisJSON

/// Data Integrity proofs with the `eddsa-jcs-2022` cryptosuite (W3C vc-di-eddsa), as FEP-8b32
/// uses them to sign ActivityPub objects.
///
/// A proof binds the document's content to the author's Ed25519 key, so any node can check
/// authorship offline, whoever relayed the document. The signature covers
/// `SHA-256(JCS(proof options)) || SHA-256(JCS(document without proof))`, so changing one character
/// of the content or of the proof options (key, purpose, date) breaks it, while member order and
/// whitespace do not matter.
///
/// ```swift
/// let signed = try EddsaJcs2022.sign(note, key: aliceKey,
///     verificationMethod: "https://node.example/members/alice#ed25519-key", created: Date())
/// let proof = try EddsaJcs2022.verify(signed) { method in try keys.ed25519Key(at: method) }
/// ```
public enum EddsaJcs2022 {
    /// The `cryptosuite` value.
    public static let cryptosuite = "eddsa-jcs-2022"
    /// The proof `type`.
    public static let proofType = "DataIntegrityProof"

    /// Signs `document` and returns it with the proof in `proof`.
    ///
    /// The proof has `type`, `cryptosuite`, `created`, `verificationMethod`, `proofPurpose`, a copy
    /// of the document's `@context` when it has one (as the cryptosuite requires), and `proofValue`.
    /// A document that already has a `proof` gets a proof set: the new proof signs the document
    /// without its proofs and is appended to them, so each proof verifies on its own.
    /// - Parameters:
    ///   - document: A JSON object.
    ///   - key: The author's Ed25519 key.
    ///   - verificationMethod: The URL of `key`'s public half in the author's `assertionMethod`.
    ///   - created: The signing time, written to the second in UTC.
    ///   - proofPurpose: What the proof asserts; `assertionMethod` for authorship.
    /// - Throws: ``ProofError`` when the document is not an object or has no canonical form.
    public static func sign(
        _ document: JSON, key: Ed25519PrivateKey, verificationMethod: String, created: Date,
        proofPurpose: String = "assertionMethod"
    ) throws -> JSON {
        guard case .object(var unsecured) = document else {
            throw ProofError(.invalidDocument, "only a JSON object can be signed")
        }
        let existing = unsecured.removeValue(forKey: "proof")
        var proof: JSONObject = [
            "type": .string(proofType),
            "cryptosuite": .string(cryptosuite),
            "created": .string(try XMLDateTime.format(created)),
            "verificationMethod": .string(verificationMethod),
            "proofPurpose": .string(proofPurpose),
        ]
        if let context = unsecured["@context"] { proof["@context"] = context }
        let hashData = try hashData(proofOptions: proof, unsecuredDocument: unsecured)
        let signature = try key.signature(for: hashData)
        proof["proofValue"] = .string(Multibase.encode(signature, as: .base58btc))

        switch existing {
        case nil: unsecured["proof"] = .object(proof)
        case .array(let proofs)?: unsecured["proof"] = .array(proofs + [.object(proof)])
        case let other?: unsecured["proof"] = .array([other, .object(proof)])
        }
        return .object(unsecured)
    }

    /// Verifies the document's proof and returns it.
    ///
    /// `proof` may be one proof or a proof set (an array); in a set every proof must be an
    /// `eddsa-jcs-2022` proof that verifies (see ``verifyAll(_:proofPurpose:now:resolveKey:)``),
    /// and the first is returned. Proof chains (`previousProof`) are refused.
    /// - Parameters:
    ///   - document: The secured document, as received.
    ///   - proofPurpose: The purpose the proof must state.
    ///   - now: The time against which `expires` is checked.
    ///   - resolveKey: Returns the public key of a `verificationMethod` URL, typically after checking
    ///     that the method belongs to the document's author. Its errors are rethrown unchanged.
    /// - Throws: ``ProofError`` with the reason: no proof, malformed or unsupported proof, wrong
    ///   purpose, bad `proofValue` encoding, expired, `@context` mismatch, or a signature mismatch
    ///   (document or proof altered, or not the signer's key); or whatever `resolveKey` throws.
    @discardableResult
    public static func verify(
        _ document: JSON, proofPurpose: String = "assertionMethod", now: Date = Date(),
        resolveKey: (String) throws -> Ed25519PublicKey
    ) throws -> DataIntegrityProof {
        let proofs = try verifyAll(document, proofPurpose: proofPurpose, now: now, resolveKey: resolveKey)
        guard let first = proofs.first else { throw ProofError(.missingProof, "the proof set is empty") }
        return first
    }

    /// Verifies every proof of the document (one proof, or each proof of a proof set) and returns them
    /// in document order; fails on the first that does not verify, naming its position.
    /// - Throws: as ``verify(_:proofPurpose:now:resolveKey:)``.
    public static func verifyAll(
        _ document: JSON, proofPurpose: String = "assertionMethod", now: Date = Date(),
        resolveKey: (String) throws -> Ed25519PublicKey
    ) throws -> [DataIntegrityProof] {
        guard case .object(var unsecured) = document else {
            throw ProofError(.invalidDocument, "the document is not a JSON object")
        }
        guard let proofField = unsecured.removeValue(forKey: "proof") else {
            throw ProofError(.missingProof, "the document has no 'proof'")
        }
        switch proofField {
        case .array(let set):
            guard !set.isEmpty else { throw ProofError(.missingProof, "the document's proof set is empty") }
            var verified: [DataIntegrityProof] = []
            verified.reserveCapacity(set.count)
            for (position, proof) in set.enumerated() {
                do {
                    verified.append(
                        try verifyProof(proof, of: unsecured, proofPurpose: proofPurpose, now: now, resolveKey: resolveKey))
                } catch let error as ProofError {
                    throw ProofError(error.kind, "proof \(position + 1) of \(set.count): \(error.message)")
                }
            }
            return verified
        default:
            return [try verifyProof(proofField, of: unsecured, proofPurpose: proofPurpose, now: now, resolveKey: resolveKey)]
        }
    }

    /// Checks one proof against the document without its `proof` member.
    private static func verifyProof(
        _ proofJSON: JSON, of document: JSONObject, proofPurpose: String, now: Date,
        resolveKey: (String) throws -> Ed25519PublicKey
    ) throws -> DataIntegrityProof {
        let proof = try DataIntegrityProof(json: proofJSON)
        guard proof.cryptosuite == cryptosuite else {
            throw ProofError(.unsupportedProof, "cryptosuite '\(proof.cryptosuite.prefix(64))' is not supported (expected \(cryptosuite))")
        }
        guard proof.proofPurpose == proofPurpose else {
            throw ProofError(
                .wrongProofPurpose, "the proof is for '\(proof.proofPurpose.prefix(64))', expected '\(proofPurpose)'")
        }
        if let expires = proof.expires, expires < now {
            throw ProofError(.expired, "the proof expired at \(proof.json["expires"]?.stringValue ?? "\(expires)")")
        }
        let decoded: (encoding: Multibase.Encoding, bytes: [UInt8])
        do {
            decoded = try Multibase.decodeWithEncoding(proof.proofValue)
        } catch {
            throw ProofError(.invalidProofValue, "proofValue is not valid multibase: \(error)")
        }
        guard decoded.encoding == .base58btc else {
            throw ProofError(.invalidProofValue, "proofValue must be base58btc multibase (starting with 'z')")
        }
        guard decoded.bytes.count == 64 else {
            throw ProofError(.invalidProofValue, "proofValue holds \(decoded.bytes.count) bytes, an Ed25519 signature has 64")
        }

        guard case .object(var options) = proofJSON else {
            throw ProofError(.malformedProof, "the proof is not a JSON object")
        }
        options.removeValue(forKey: "proofValue")
        var unsecured = document
        if let proofContext = options["@context"] {
            // The proof may add vocabulary on top of the document's contexts but must not replace
            // them; the signature then covers the document under the proof's contexts.
            let expected = contextList(proofContext)
            let actual = document["@context"].map(contextList) ?? []
            guard actual.count >= expected.count,
                try zip(actual, expected).allSatisfy({ try canonical($0) == canonical($1) })
            else {
                throw ProofError(.contextMismatch, "the document's @context does not start with the proof's @context")
            }
            unsecured["@context"] = proofContext
        }
        let hashData = try hashData(proofOptions: options, unsecuredDocument: unsecured)
        let key = try resolveKey(proof.verificationMethod)
        guard key.isValidSignature(decoded.bytes, for: hashData) else {
            throw ProofError(
                .signatureMismatch,
                "the signature does not match: the document or its proof was altered, or \(proof.verificationMethod.prefix(200)) did not sign it")
        }
        return proof
    }

    /// `@context` as a list: an array as it is, any other value as a list of one.
    private static func contextList(_ context: JSON) -> [JSON] {
        if case .array(let list) = context { return list }
        return [context]
    }

    /// Canonical bytes, so context entries compare exactly (Swift's `String ==` would equate
    /// canonically equivalent but differently encoded text).
    private static func canonical(_ value: JSON) throws -> [UInt8] {
        do {
            return try JCS.canonicalize(value)
        } catch {
            throw ProofError(.notCanonicalizable, "@context: \(error.message)")
        }
    }

    /// `SHA-256(JCS(proof options)) || SHA-256(JCS(document))`: the 64 bytes that are signed.
    static func hashData(proofOptions: JSONObject, unsecuredDocument: JSONObject) throws(ProofError) -> [UInt8] {
        let canonicalOptions: [UInt8]
        let canonicalDocument: [UInt8]
        do {
            canonicalOptions = try JCS.canonicalize(.object(proofOptions))
        } catch {
            throw ProofError(.notCanonicalizable, "the proof options have no canonical form: \(error.message)")
        }
        do {
            canonicalDocument = try JCS.canonicalize(.object(unsecuredDocument))
        } catch {
            throw ProofError(.notCanonicalizable, "the document has no canonical form: \(error.message)")
        }
        return SHA256.hash(canonicalOptions) + SHA256.hash(canonicalDocument)
    }
}
