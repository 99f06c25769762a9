import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisFederation
import PraxisJSON

/// Author proofs on member content (FEP-8b32, cryptosuite `eddsa-jcs-2022`): every object a member
/// of this node writes is signed with the member's Ed25519 key, so any node can check authorship
/// offline, whichever community relayed it and without asking the origin.
///
/// Keys rotate (`praxis keys rotate`): the author's actor document keeps retired keys listed with
/// their `expires` time. A proof made with a retired key verifies only when its `created` is not
/// after that time; one without `created` cannot be dated and is refused.
public enum AuthorProof {
    /// The proof's key could not be obtained (the author's node is unreachable, or the key is newer
    /// than this node's copy of the author's actor document and may not be refetched yet): the
    /// authorship is unknown, not disproved. Callers retry, or check the object at its origin.
    public struct KeyUnavailable: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// Signs `object` as its author.
    static func sign(_ object: JSON, keys: LocalKeyring.SigningKeys, now: Date = Date()) throws -> JSON {
        try EddsaJcs2022.sign(object, key: keys.ed25519, verificationMethod: keys.ed25519KeyID, created: now)
    }

    /// Checks the author proof of `object`.
    /// - Parameter now: proofs dated more than the allowed clock skew after it are refused.
    /// - Returns: true when the object carries a valid proof by `author`, false when it carries none.
    /// - Throws: `ActivityRejection` when a proof is present but does not verify (the object was
    ///   altered on the way, signed by someone else, dated in the future, or made with a key after
    ///   its retirement); ``KeyUnavailable`` when the key cannot be obtained now.
    public static func verify(_ object: JSON, author: String, directory: RemoteDirectory, now: Date = Date()) async throws
        -> Bool
    {
        guard let proof = object["proof"] else { return false }
        let first = proof.arrayValue?.first ?? proof
        guard let method = first["verificationMethod"]?.stringValue else {
            throw ActivityRejection("the object's proof names no verificationMethod")
        }
        let created = first["created"]?.stringValue.flatMap(ISO8601.date)
        if let created, created.timeIntervalSince(now) > RequestAuthenticator.maxClockSkew {
            throw ActivityRejection("the object's proof is dated \(ISO8601.string(created)), in the future")
        }
        let remoteKey: RemoteKey
        let owner: RemoteActor
        do {
            (remoteKey, owner) = try await directory.key(id: method)
        } catch let error as DereferenceError where error.kind == .blocked || error.kind == .localResource {
            throw ActivityRejection("cannot use the proof's key \(method): \(error)")
        } catch {
            throw KeyUnavailable(message: "cannot obtain the proof's key \(method): \(error)")
        }
        guard owner.id == author else {
            throw ActivityRejection("the proof's key \(method) belongs to \(owner.id), not to the author \(author)")
        }
        guard case .ed25519(let key) = remoteKey.material else {
            throw ActivityRejection("the proof's key \(method) is not an Ed25519 key")
        }
        if let retired = remoteKey.expires {
            guard let created else {
                throw ActivityRejection("the proof made with the retired key \(method) has no created time to date it")
            }
            if created > retired {
                throw ActivityRejection(
                    "the proof was made with \(method) at \(ISO8601.string(created)), after that key was retired at \(ISO8601.string(retired))")
            }
        }
        do {
            try EddsaJcs2022.verify(object) { vm in
                guard vm == method else { throw ProofError(.malformedProof, "a proof set with several keys is not accepted") }
                return key
            }
            return true
        } catch {
            throw ActivityRejection("the author's proof does not verify: \(error)")
        }
    }
}
