import Foundation
import PraxisCrypto
import PraxisHTTP
import PraxisStorage
import Synchronization

/// Signs outgoing server-to-server requests: deliveries as the local actor that sends them, fetches
/// as the node actor.
///
/// Praxis peers (whose NodeInfo lists `rfc9421`) get RFC 9421 signatures with the actor's Ed25519
/// key; all other software gets draft-cavage `rsa-sha256` with the RSA key, which Mastodon and most
/// of the fediverse verify. Until a peer's profile is known, cavage is used: every Praxis node
/// accepts both.
public final class RequestSigner: DeliverySigner, FetchSigner {
    private let keyring: LocalKeyring
    private let profiles = Mutex<[String: SignatureProfile]>([:])
    private let probing = Mutex<Set<String>>([])
    private let prober = Mutex<(@Sendable (String) async -> SignatureProfile?)?>(nil)

    public init(keyring: LocalKeyring) {
        self.keyring = keyring
    }

    /// Records the profile a peer asked for (from its NodeInfo).
    public func setProfile(_ profile: SignatureProfile, for authority: String) {
        profiles.withLock { $0[authority.lowercased()] = profile }
    }

    /// Lets the signer learn unknown peers' profiles in the background (from their NodeInfo).
    public func learnProfiles(using probe: @escaping @Sendable (String) async -> SignatureProfile?) {
        prober.withLock { $0 = probe }
    }

    /// The profile to sign with for a peer: cavage until its NodeInfo says it speaks RFC 9421.
    public func profile(for authority: String) -> SignatureProfile {
        let key = authority.lowercased()
        if let known = profiles.withLock({ $0[key] }) { return known }
        if let probe = prober.withLock({ $0 }), probing.withLock({ $0.insert(key).inserted }) {
            Task {
                if let learned = await probe(key) { self.setProfile(learned, for: key) }
            }
        }
        return .cavage
    }

    /// Signs a POST delivery as the local actor `signer`.
    public func sign(_ request: inout HTTPClientRequest, as signer: String) throws {
        try sign(&request, actor: signer)
    }

    /// Signs a GET fetch as the node actor.
    public func sign(_ request: inout HTTPClientRequest) throws {
        try sign(&request, actor: NodeSetup.nodeActorUsername)
    }

    private func sign(_ request: inout HTTPClientRequest, actor: String) throws {
        let keys = try keyring.keys(for: actor)
        let url = try HTTPClientURL(request.url)
        let profile = profile(for: url.authority)
        let key: HTTPSigningKey
        let keyID: String
        switch profile {
        case .rfc9421:
            key = .ed25519(keys.ed25519)
            keyID = keys.ed25519KeyID
        case .cavage:
            key = .rsa(keys.rsa)
            keyID = keys.rsaKeyID
        }
        try HTTPSigner.sign(method: request.method, url: request.url, headers: &request.headers, body: request.body,
                            keyID: keyID, key: key, profile: profile, now: Date())
    }
}
