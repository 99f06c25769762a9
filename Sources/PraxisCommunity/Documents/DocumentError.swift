/// A refused document operation whose HTTP meaning goes beyond ``CommunityError``: too large, of a
/// type not accepted, or bytes from another node that do not match their digest.
public struct DocumentError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// The file exceeds the node's size limit (HTTP 413).
        case tooLarge
        /// The file's type is not accepted, or its content does not match its name (HTTP 415).
        case unsupportedType
        /// The owning node did not deliver the bytes, or delivered bytes that do not match the
        /// published size and digest (HTTP 502).
        case badOrigin
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var description: String { message }
}

/// Fetches the bytes of another node's document into a new file, signed as this node, hashing
/// them on the way. The server layer implements it with the node's HTTP client and request signer.
public protocol DocumentFetcher: Sendable {
    /// GETs `url` into a new file in `directory`, reading at most `maxBytes` bytes.
    /// - Returns: the file (the caller owns it), the number of bytes and their SHA-256 digest.
    /// - Throws: when the origin refuses (any status but 200), is unreachable, or sends more than
    ///   `maxBytes`; no file is left behind then.
    func fetch(url: String, into directory: String, maxBytes: Int) async throws -> (path: String, size: Int, sha256: [UInt8])
}
