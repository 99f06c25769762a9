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

    private var members: [Element]
    /// Position of each key; nil while `count <= linearSearchLimit`.
    private var index: [String: Int]?

    /// Creates an empty object.
    public init() {
        members = []
        index = nil
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
    public var keys: [String] { members.map(\.key) }
    /// Member values, in the order of ``keys``.
    public var values: [JSON] { members.map(\.value) }
    /// Number of members.
    public var count: Int { members.count }
    /// Whether the object has no members.
    public var isEmpty: Bool { members.isEmpty }

    /// Reserves room for `capacity` members.
    public mutating func reserveCapacity(_ capacity: Int) {
        members.reserveCapacity(capacity)
    }

    /// Position of `key` in ``keys``, or nil when absent.
    public func position(of key: String) -> Int? {
        if let index { return index[key] }
        return members.firstIndex { $0.key == key }
    }

    /// Whether the object has a member named `key`.
    public func contains(_ key: String) -> Bool { position(of: key) != nil }

    /// The value of member `key`. Setting a value replaces an existing member in place or appends a
    /// new one; setting nil removes the member.
    public subscript(key: String) -> JSON? {
        get {
            guard let at = position(of: key) else { return nil }
            return members[at].value
        }
        set {
            if let newValue {
                if let at = position(of: key) {
                    members[at].value = newValue
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
        let removed = members.remove(at: at).value
        rebuildIndex()
        return removed
    }

    /// Appends a member the caller knows to be absent (the parser checks for duplicates itself).
    mutating func appendNew(key: String, value: JSON) {
        members.append((key, value))
        if index != nil {
            index?[key] = members.count - 1
        } else if members.count > Self.linearSearchLimit {
            rebuildIndex()
        }
    }

    private mutating func rebuildIndex() {
        guard members.count > Self.linearSearchLimit else {
            index = nil
            return
        }
        var rebuilt = [String: Int](minimumCapacity: members.count)
        for (at, member) in members.enumerated() { rebuilt[member.key] = at }
        index = rebuilt
    }

    /// Members in order.
    public struct Iterator: IteratorProtocol {
        private let object: JSONObject
        private var position = 0

        fileprivate init(_ object: JSONObject) { self.object = object }

        public mutating func next() -> (key: String, value: JSON)? {
            guard position < object.members.count else { return nil }
            defer { position += 1 }
            return object.members[position]
        }
    }

    public func makeIterator() -> Iterator { Iterator(self) }

    public var underestimatedCount: Int { count }

    /// Positions of the members ordered by key as RFC 8785 orders them: by UTF-16 code units.
    func positionsSortedByUTF16() -> [Int] {
        members.indices.sorted { members[$0].key.utf16.lexicographicallyPrecedes(members[$1].key.utf16) }
    }

    /// Key and value at a position in ``keys``.
    func member(at position: Int) -> (key: String, value: JSON) {
        members[position]
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
