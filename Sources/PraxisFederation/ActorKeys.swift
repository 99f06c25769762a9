import Foundation
import PraxisCrypto
import PraxisStorage

/// Key material for new actors.
public enum ActorKeyFactory {
    /// Fragment of the RSA key id (`ACTOR#main-key`), the name Mastodon and most servers use.
    public static let rsaFragment = "main-key"
    /// Fragment of the first Ed25519 key id.
    public static let ed25519Fragment = "ed25519-key"

    /// A fresh RSA-2048 key (draft-cavage signatures for the wider fediverse) and a fresh Ed25519
    /// key (RFC 9421 signatures between Praxis nodes and Data Integrity proofs).
    public static func generate(now: Date = Date()) throws -> [ActorKey] {
        let rsa = try RSAPrivateKey(bits: 2048)
        let ed = Ed25519PrivateKey()
        return [
            ActorKey(algorithm: .rsa, fragment: rsaFragment, publicKey: rsa.publicKey.pemRepresentation,
                     privateKeyPEM: rsa.pemRepresentation, createdAt: now),
            ActorKey(algorithm: .ed25519, fragment: ed25519Fragment, publicKey: ed.publicKey.multikey,
                     privateKeyPEM: ed.pemRepresentation, createdAt: now),
        ]
    }

    /// Fresh keys replacing `existing` in a rotation: new key ids (`main-key-2`, `ed25519-key-2`,
    /// ...), never one the actor had before, so a cached old key is never mistaken for the new one.
    public static func rotated(from existing: [ActorKey], now: Date = Date()) throws -> [ActorKey] {
        let taken = Set(existing.map(\.fragment))
        func fragment(_ base: String) -> String {
            var n = 2
            while taken.contains("\(base)-\(n)") { n += 1 }
            return "\(base)-\(n)"
        }
        return try generate(now: now).map { key in
            var key = key
            key.fragment = fragment(key.algorithm == .rsa ? rsaFragment : ed25519Fragment)
            return key
        }
    }
}
