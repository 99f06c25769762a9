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
}
