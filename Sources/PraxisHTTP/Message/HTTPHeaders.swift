/// An ordered list of HTTP header fields with case-insensitive lookup.
///
/// Order and repetition are kept exactly as received, because HTTP signatures (RFC 9421,
/// draft-cavage) sign header values in the order they appear and combine repeated fields.
public struct HTTPHeaders: Sendable, Equatable, Sequence, ExpressibleByDictionaryLiteral {
    public typealias Element = (name: String, value: String)

    private var fields: [(name: String, value: String)] = []

    public init() {}

    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    public var count: Int { fields.count }

    /// Room for `capacity` fields without growing (a message's fields are appended one by one).
    public mutating func reserveCapacity(_ capacity: Int) { fields.reserveCapacity(capacity) }
    public var isEmpty: Bool { fields.isEmpty }

    public func makeIterator() -> IndexingIterator<[(name: String, value: String)]> {
        fields.makeIterator()
    }

    /// The first value of the field, or nil. Assigning replaces every field of that name;
    /// assigning nil removes them.
    public subscript(name: String) -> String? {
        get { fields.first { Self.same($0.name, name) }?.value }
        set {
            if let newValue {
                replaceOrAdd(name: name, value: newValue)
            } else {
                remove(name: name)
            }
        }
    }

    /// Every value of the field in order of appearance.
    public func values(for name: String) -> [String] {
        var values: [String] = []
        for field in fields where Self.same(field.name, name) { values.append(field.value) }
        return values
    }

    /// Calls `body` with every value of the field in order of appearance, without collecting them.
    public func forEachValue(of name: String, _ body: (String) throws -> Void) rethrows {
        for field in fields where Self.same(field.name, name) { try body(field.value) }
    }

    /// The values of a repeated field joined with ", " as RFC 9110 section 5.3 combines them.
    public func combinedValue(for name: String) -> String? {
        // Without an intermediate array: a field usually occurs once.
        var combined: String?
        for field in fields where Self.same(field.name, name) {
            if let sofar = combined { combined = sofar + ", " + field.value } else { combined = field.value }
        }
        return combined
    }

    public func contains(_ name: String) -> Bool {
        fields.contains { Self.same($0.name, name) }
    }

    public mutating func add(name: String, value: String) {
        fields.append((name: name, value: value))
    }

    public mutating func replaceOrAdd(name: String, value: String) {
        // Every response passes several of these (security headers): most names are new.
        if fields.contains(where: { Self.same($0.name, name) }) { remove(name: name) }
        fields.append((name: name, value: value))
    }

    public mutating func remove(name: String) {
        fields.removeAll { Self.same($0.name, name) }
    }

    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        lhs.fields.count == rhs.fields.count
            && zip(lhs.fields, rhs.fields).allSatisfy { Self.same($0.name, $1.name) && $0.value == $1.value }
    }

    /// ASCII case-insensitive comparison, without allocating.
    @inline(__always)
    static func same(_ a: String, _ b: String) -> Bool {
        // Native strings know their UTF-8 length: most names differ in it, seen without a loop.
        guard a.utf8.count == b.utf8.count else { return false }
        var ai = a.utf8.makeIterator()
        var bi = b.utf8.makeIterator()
        while true {
            switch (ai.next(), bi.next()) {
            case (nil, nil): return true
            case let (x?, y?):
                if x != y && lower(x) != lower(y) { return false }
            default: return false
            }
        }
    }

    @inline(__always)
    private static func lower(_ c: UInt8) -> UInt8 { (c >= 65 && c <= 90) ? c | 0x20 : c }
}
