/// The members of a JSON object: unique keys, kept in insertion order, with fast lookup by key.
///
/// Order matters to people reading documents and to signatures computed over the bytes as sent, so
/// it is kept exactly; lookup stays cheap because small objects (most ActivityPub objects) are
/// searched linearly and larger ones get a hash index.
///
/// Equality and hashing ignore member order, as JSON semantics do: `{"a":1,"b":2}` equals
/// `{"b":2,"a":1}`. Compare ``keys`` as well when order matters.
public struct JSONObject: Sendable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (key: String, value: JSON)

    /// Up to this many members, lookup is a linear scan and no index is kept.
    private static let linearSearchLimit = 12

    private var storedKeys: [String]
    private var storedValues: [JSON]
    /// Position of each key; empty while `count <= linearSearchLimit`.
    private var index: [String: Int]

    /// Creates an empty object.
    public init() {
        storedKeys = []
        storedValues = []
        index = [:]
    }

    /// Creates an object from pairs in order; a repeated key keeps its first position and last value.
    public init(_ pairs: [(String, JSON)]) {
        self.init()
        reserveCapacity(pairs.count)
        for (key, value) in pairs { self[key] = value }
    }

    public init(dictionaryLiteral elements: (String, JSON)...) {
        self.init(elements)
    }

    /// Member names, in order.
    public var keys: [String] { storedKeys }
    /// Member values, in the order of ``keys``.
    public var values: [JSON] { storedValues }
    /// Number of members.
    public var count: Int { storedKeys.count }
    /// Whether the object has no members.
    public var isEmpty: Bool { storedKeys.isEmpty }

    /// Reserves room for `capacity` members.
    public mutating func reserveCapacity(_ capacity: Int) {
        storedKeys.reserveCapacity(capacity)
        storedValues.reserveCapacity(capacity)
    }

    /// Position of `key` in ``keys``, or nil when absent.
    public func position(of key: String) -> Int? {
        if storedKeys.count <= Self.linearSearchLimit {
            return storedKeys.firstIndex(of: key)
        }
        return index[key]
    }

    /// Whether the object has a member named `key`.
    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// The value of member `key`. Setting a value replaces an existing member in place or appends a
    /// new one; setting nil removes the member.
    public subscript(key: String) -> JSON? {
        get {
            guard let at = position(of: key) else { return nil }
            return storedValues[at]
        }
        set {
            if let newValue {
                if let at = position(of: key) {
                    storedValues[at] = newValue
                } else {
                    appendNew(key: key, value: newValue)
                }
            } else {
                removeValue(forKey: key)
            }
        }
    }

    /// Removes member `key`, keeping the order of the others.
    /// - Returns: The removed value, or nil when there was no such member.
    @discardableResult
    public mutating func removeValue(forKey key: String) -> JSON? {
        guard let at = position(of: key) else { return nil }
        storedKeys.remove(at: at)
        let removed = storedValues.remove(at: at)
        rebuildIndex()
        return removed
    }

    /// Appends a member the caller knows to be absent (the parser checks for duplicates itself).
    mutating func appendNew(key: String, value: JSON) {
        storedKeys.append(key)
        storedValues.append(value)
        if storedKeys.count > Self.linearSearchLimit {
            if index.isEmpty {
                rebuildIndex()
            } else {
                index[key] = storedKeys.count - 1
            }
        }
    }

    private mutating func rebuildIndex() {
        guard storedKeys.count > Self.linearSearchLimit else {
            index = [:]
            return
        }
        var rebuilt = [String: Int](minimumCapacity: storedKeys.count)
        for (at, key) in storedKeys.enumerated() { rebuilt[key] = at }
        index = rebuilt
    }

    /// Members in order.
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var position = 0

        fileprivate init(_ object: JSONObject) { self.object = object }

        public mutating func next() -> (key: String, value: JSON)? {
            guard position < object.storedKeys.count else { return nil }
            defer { position += 1 }
            return (object.storedKeys[position], object.storedValues[position])
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }

    /// Positions of the members ordered by key as RFC 8785 orders them: by UTF-16 code units.
    func positionsSortedByUTF16() -> [Int] {
        storedKeys.indices.sorted { storedKeys[$0].utf16.lexicographicallyPrecedes(storedKeys[$1].utf16) }
    }

    /// Key and value at a position in ``keys``.
    func member(at position: Int) -> (key: String, value: JSON) {
        (storedKeys[position], storedValues[position])
    }
}

extension JSONObject: Hashable {
    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        guard lhs.count == rhs.count else { return false }
        for (key, value) in lhs {
            guard let other = rhs[key], other == value else { return false }
        }
        return true
    }

    public func hash(into hasher: inout Hasher) {
        // Members are combined commutatively so that order does not change the hash, matching `==`.
        var combined = 0
        for (key, value) in self {
            var member = Hasher()
            member.combine(key)
            member.combine(value)
            combined ^= member.finalize()
        }
        hasher.combine(count)
        hasher.combine(combined)
    }
}
