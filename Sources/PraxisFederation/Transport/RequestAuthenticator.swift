import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisHTTP

/// Verifies the HTTP signature of an incoming request against the signer's published key: the key
/// is taken from the remote directory's cache (fetched on a miss), and a failing signature with a
/// cached key refetches the key once, which handles key rotation.
public struct RequestAuthenticator: Sendable {
    /// Signatures older or newer than this are refused (Mastodon and Lemmy use an hour too).
    public static let maxClockSkew: TimeInterval = 3600

    public let directory: RemoteDirectory
    public let authority: String
    public let scheme: String

    public init(directory: RemoteDirectory, authority: String, scheme: String) {
        self.directory = directory
        self.authority = authority
        self.scheme = scheme
    }

    /// Why a signature was refused, phrased for the remote operator.
    public struct Failure: Error, CustomStringConvertible, Sendable {
        public let message: String
        public var description: String { message }
    }

    /// The verified signer of `request`.
    public struct Signer: Sendable {
        public var key: RemoteKey
        public var owner: RemoteActor
        /// The signature's signed creation time (`created`, `(created)` or the signed Date).
        public var created: Date?
    }

    /// Verifies `request`'s signature, whose headers ``HTTPSignatureVerifier/parse(_:)`` returned
    /// as `parsed` (parsed once: the caller needed the key id before).
    /// - Parameters:
    ///   - inMemory: the key and its owner as ``RemoteDirectory/keyInMemory(_:)`` returned them,
    ///     when the caller already looked: used first, without asking the directory again.
    ///   - beforeRefetch: called before the key is fetched again because the signature failed
    ///     with the cached key; what it throws is thrown as is (the inbox rereads the trust list
    ///     there, since that fetch goes to the network).
    /// - Throws: `Failure` when the key cannot be obtained, is retired, or the signature does not
    ///   verify (digest, covered components, clock window, cryptographic check).
    public func verify(
        _ request: HTTPRequest, parsed: ParsedHTTPSignature, hostChecked: Bool = false,
        inMemory: (RemoteKey, RemoteActor)? = nil, beforeRefetch: (() throws -> Void)? = nil
    ) async throws -> Signer {
        let keyID = parsed.keyID
        var refreshed = false
        var known = inMemory
        while true {
            let key: RemoteKey
            let owner: RemoteActor
            if let memory = known {
                (key, owner) = memory
                known = nil
            } else {
                do {
                    (key, owner) = try await directory.key(id: keyID, refresh: refreshed, hostChecked: hostChecked)
                } catch {
                    throw Failure(message: "cannot obtain the signing key \(keyID): \(error)")
                }
            }
            if let expires = key.expires, expires < Date() {
                throw Failure(message: "the signing key \(keyID) was retired at \(ISO8601.string(expires))")
            }
            let verificationKey: HTTPVerificationKey =
                switch key.material {
                case .rsa(let rsa): .rsa(rsa)
                case .ed25519(let ed): .ed25519(ed)
                }
            do {
                let result = try HTTPSignatureVerifier.verify(
                    request, parsed: parsed, authority: authority, scheme: scheme, key: verificationKey, now: Date(),
                    maxSkew: Self.maxClockSkew)
                return Signer(key: key, owner: owner, created: result.created)
            } catch let error as HTTPSignatureError {
                if (error.kind == .invalidSignature || error.kind == .algorithmMismatch) && !refreshed {
                    try beforeRefetch?()
                    refreshed = true
                    continue
                }
                throw Failure(message: error.message)
            } catch {
                throw Failure(message: "the signature does not verify: \(error)")
            }
        }
    }

    /// The verified node (authority) a signed GET comes from, nil when the request is unsigned.
    public func verifiedNode(of request: HTTPRequest) async throws -> String? {
        guard request.headers.contains("Signature") || request.headers.contains("Signature-Input")
            || (request.headers["Authorization"]?.lowercased().hasPrefix("signature") ?? false)
        else { return nil }
        let parsed: ParsedHTTPSignature
        do {
            parsed = try HTTPSignatureVerifier.parse(request)
        } catch {
            throw Failure(message: "the signature headers do not parse: \(error)")
        }
        let signer = try await verify(request, parsed: parsed)
        return signer.owner.domain.lowercased()
    }
}
