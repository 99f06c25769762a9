/// Why a JSON document was refused, and where.
///
/// `message` is written for a person (it ends with the byte offset, e.g.
/// `unexpected character 'x' at byte 17`); `kind` lets code choose a response, for instance
/// HTTP 413 for ``Kind/limitExceeded`` and 400 for the rest.
public struct JSONError: Error, CustomStringConvertible, Sendable, Hashable {
    /// Broad class of the failure.
    public enum Kind: Sendable, Hashable {
        /// The text is not JSON (RFC 8259), or breaks an I-JSON rule (RFC 7493) such as a lone surrogate.
        case syntax
        /// The bytes are not well-formed UTF-8.
        case invalidUTF8
        /// An object names the same member twice, which makes the document ambiguous.
        case duplicateKey
        /// A number is too large in magnitude for a finite `Double`.
        case numberOutOfRange
        /// The document exceeds one of the ``JSONLimits``.
        case limitExceeded
        /// Converting between ``JSON`` and a `Codable` type failed.
        case coding
    }

    /// Class of the failure.
    public let kind: Kind
    /// Byte offset in the document where the problem was found (0 when not tied to a position).
    public let offset: Int
    /// Human-readable explanation, including the offset where there is one.
    public let message: String

    /// Creates an error; `message` is used verbatim.
    public init(kind: Kind, offset: Int, message: String) {
        self.kind = kind
        self.offset = offset
        self.message = message
    }

    public var description: String { message }
}
