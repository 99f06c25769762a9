/// Bounds the parser enforces on an untrusted document.
///
/// Every document that reaches Praxis from another server or a client is parsed with limits, so a
/// hostile peer cannot exhaust memory or the stack. The defaults suit ActivityPub activities and API
/// bodies; raise them for trusted, larger input such as a node's own backups.
public struct JSONLimits: Sendable, Hashable {
    /// Largest accepted document, in bytes.
    public var maxBytes: Int
    /// Deepest accepted nesting of arrays and objects; a scalar document has depth 0, `[]` depth 1.
    public var maxDepth: Int
    /// Longest accepted string (member names included), in UTF-8 bytes after unescaping.
    public var maxStringBytes: Int
    /// Most elements in one array, or members in one object.
    public var maxContainerElements: Int

    /// Creates limits; every parameter defaults to the value in ``default``.
    public init(
        maxBytes: Int = 1 << 20, maxDepth: Int = 64, maxStringBytes: Int = 256 << 10,
        maxContainerElements: Int = 10_000
    ) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxContainerElements = maxContainerElements
    }

    /// 1 MiB documents, 64 levels of nesting, 256 KiB strings, 10,000 elements per container.
    public static let `default` = JSONLimits()

    /// No size limits, and nesting capped at ``JSONLimits/deepestSupportedNesting``.
    ///
    /// Depth stays bounded even here: the parser itself does not recurse, but destroying, comparing
    /// and serialising a ``JSON`` value does, so an absurdly deep value could exhaust a thread's stack.
    public static let unlimited = JSONLimits(
        maxBytes: .max, maxDepth: deepestSupportedNesting, maxStringBytes: .max, maxContainerElements: .max)

    /// The nesting depth that ``unlimited`` allows; deep enough for any real document.
    public static let deepestSupportedNesting = 1_000
}
