import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisFederation
import PraxisJSON

/// Author proofs on member content (FEP-8b32, cryptosuite `eddsa-jcs-2022`): every object a member
/// of this node writes is signed with the member's Ed25519 key, so any node can check authorship
/// offline, whichever community relayed it and without asking the origin.
enum AuthorProof {
    /// Signs `object` as its author.
    static func sign(_ object: JSON, keys: LocalKeyring.SigningKeys, now: Date = Date()) throws -> JSON {
        try EddsaJcs2022.sign(object, key: keys.ed25519, verificationMethod: keys.ed25519KeyID, created: now)
    }

    /// Checks the author proof of `object`.
    /// - Returns: true when the object carries a valid proof by `author`, false when it carries none.
    /// - Throws: `ActivityRejection` when a proof is present but does not verify (the object was
    ///   altered on the way, or signed by someone else, or with a key retired before the proof).
    static func verify(_ object: JSON, author: String, directory: RemoteDirectory) async throws -> Bool {
        guard let proof = object["proof"] else { return false }
        let method = (proof.arrayValue?.first ?? proof)["verificationMethod"]?.stringValue
        guard let method else { throw ActivityRejection("the object's proof names no verificationMethod") }
        let created = (proof.arrayValue?.first ?? proof)["created"]?.stringValue.flatMap(ISO8601.date)
        let key: Ed25519PublicKey
        do {
            let (remoteKey, owner) = try await directory.key(id: method)
            guard owner.id == author else {
                throw ActivityRejection("the proof's key \(method) belongs to \(owner.id), not to the author \(author)")
            }
            guard case .ed25519(let ed) = remoteKey.material else {
                throw ActivityRejection("the proof's key \(method) is not an Ed25519 key")
            }
            if let retired = remoteKey.expires, let created, retired < created {
                throw ActivityRejection("the proof was made with \(method) after that key was retired")
            }
            key = ed
        } catch let rejection as ActivityRejection {
            throw rejection
        } catch {
            throw ActivityRejection("cannot obtain the proof's key \(method): \(error)")
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
