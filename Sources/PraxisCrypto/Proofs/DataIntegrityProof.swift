import Foundation
import PraxisJSON

/// A W3C Data Integrity proof (`"type": "DataIntegrityProof"`), read from a document's `proof`.
///
/// Built by ``EddsaJcs2022/verify(_:proofPurpose:now:resolveKey:)`` once the proof checked out, or
/// with ``init(json:)`` to look at a proof's fields before verifying (for instance to fetch the key
/// named by ``verificationMethod``).
public struct DataIntegrityProof: Sendable, Hashable {
    /// `cryptosuite`, such as `eddsa-jcs-2022`.
    public let cryptosuite: String
    /// `verificationMethod`: the URL of the key that made the proof, such as
    /// `https://node.example/members/alice#ed25519-key`.
    public let verificationMethod: String
    /// `proofPurpose`, such as `assertionMethod` (the author vouches for the content).
    public let proofPurpose: String
    /// `created` as written, if present.
    public let createdText: String?
    /// `created` as a date, if present.
    public let created: Date?
    /// `expires` as a date, if present.
    public let expires: Date?
    /// `proofValue` as written (multibase).
    public let proofValue: String
    /// The whole proof object as it appeared in the document.
    public let json: JSON

    /// Reads and checks the fields of a proof object.
    ///
    /// Checks the shape only, not the signature: `type` is `DataIntegrityProof`; `cryptosuite`,
    /// `verificationMethod`, `proofPurpose` and `proofValue` are non-empty strings; `created` and
    /// `expires`, when present, are XML Schema dateTimes; there is no `previousProof` (proof chains
    /// are not supported).
    /// - Throws: ``ProofError`` saying which field is missing or wrong.
    public init(json: JSON) throws(ProofError) {
        guard case .object(let object) = json else {
            throw ProofError(.malformedProof, "the proof is not a JSON object")
        }
        func text(_ name: String) throws(ProofError) -> String {
            guard let value = object[name] else { throw ProofError(.malformedProof, "the proof has no '\(name)'") }
            guard case .string(let string) = value, !string.isEmpty else {
                throw ProofError(.malformedProof, "the proof's '\(name)' must be a non-empty string")
            }
            return string
        }
        let type = try text("type")
        guard type == "DataIntegrityProof" else {
            throw ProofError(.unsupportedProof, "proof type '\(type.prefix(64))' is not supported (expected DataIntegrityProof)")
        }
        cryptosuite = try text("cryptosuite")
        verificationMethod = try text("verificationMethod")
        proofPurpose = try text("proofPurpose")
        proofValue = try text("proofValue")
        if object["previousProof"] != nil {
            throw ProofError(.unsupportedProof, "proof chains ('previousProof') are not supported")
        }
        if object["created"] != nil {
            let written = try text("created")
            createdText = written
            created = try XMLDateTime.parse(written)
        } else {
            createdText = nil
            created = nil
        }
        expires = object["expires"] == nil ? nil : try XMLDateTime.parse(try text("expires"))
        self.json = json
    }
}

/// Why a document's proof could not be made or did not verify.
///
/// Match on ``kind`` to decide what to do: ``Kind/signatureMismatch`` means the content (or the
/// proof options) changed after signing, or the key is not the signer's; the others mean the proof
/// is absent, malformed or of a kind this node does not check.
public struct ProofError: Error, CustomStringConvertible, Sendable, Equatable {
    /// Broad category of the failure.
    public enum Kind: Sendable, Equatable {
        /// The document is not a JSON object.
        case invalidDocument
        /// The document has no `proof`.
        case missingProof
        /// The proof is not an object, or a required field is missing or of the wrong type.
        case malformedProof
        /// The proof type, cryptosuite, or a feature such as proof chains is not supported.
        case unsupportedProof
        /// The proof was made for another purpose than the one the verifier expects.
        case wrongProofPurpose
        /// `proofValue` is not base58btc multibase of a 64-byte signature.
        case invalidProofValue
        /// `created` or `expires` is not a valid dateTime, or a date cannot be written as one.
        case invalidDate
        /// The proof's `expires` is in the past.
        case expired
        /// The proof's `@context` is not a prefix of the document's `@context`.
        case contextMismatch
        /// The document or proof has no canonical form (for instance a non-finite number).
        case notCanonicalizable
        /// The signature does not match: the document or proof options were altered, or the key is
        /// not the one that signed.
        case signatureMismatch
    }

    /// Category of the failure.
    public let kind: Kind
    /// What went wrong, in plain words.
    public let message: String

    public var description: String { message }

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }
}
