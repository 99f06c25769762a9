/// RFC 8941 Structured Field Values for HTTP: the data model, a strict parser and a serialiser.
///
/// HTTP message signatures (RFC 9421) and `Content-Digest` (RFC 9530) are structured fields, so a
/// mistake here is a signature that verifies over bytes the sender did not mean. The parser follows
/// the algorithms of RFC 8941 section 4.2 step by step and fails exactly where they fail; the
/// serialiser follows section 4.1, so `serialize(parse(x))` is the canonical form that RFC 9421 signs.
///
/// ```swift
/// let dict = try StructuredFields.parseDictionary(#"sig1=("@method");created=1618884473"#)
/// let text = try StructuredFields.serialize(dict)
/// ```
public enum StructuredFields {
    /// Input longer than this is refused by default: real signature headers are well under 2 KiB.
    public static let defaultMaximumLength = 16 * 1024

    /// A bare item (RFC 8941 section 3.3).
    public enum BareItem: Sendable, Hashable {
        /// -999,999,999,999,999 ... 999,999,999,999,999.
        case integer(Int64)
        /// At most 12 integer and 3 fractional digits.
        case decimal(Decimal)
        /// Printable ASCII (0x20-0x7E).
        case string(String)
        /// `ALPHA / "*"` followed by `tchar / ":" / "/"`.
        case token(String)
        case byteSequence([UInt8])
        case boolean(Bool)
    }

    /// An RFC 8941 decimal kept as an exact count of thousandths, so that values round-trip without
    /// binary floating-point surprises.
    public struct Decimal: Sendable, Hashable, CustomStringConvertible {
        /// The value multiplied by 1000.
        public var thousandths: Int64

        public init(thousandths: Int64) {
            self.thousandths = thousandths
        }

        /// Rounds `value` to three decimal places (ties to even, as section 4.1.5 asks).
        /// Returns nil for values that are not finite or need more than 12 integer digits.
        public init?(_ value: Double) {
            let scaled = (value * 1000).rounded(.toNearestOrEven)
            guard scaled.isFinite, abs(scaled) < 1e15 else { return nil }
            thousandths = Int64(scaled)
        }

        public var doubleValue: Double { Double(thousandths) / 1000 }

        public var description: String {
            let magnitude = thousandths.magnitude
            var fraction = String(magnitude % 1000)
            fraction = String(repeating: "0", count: 3 - fraction.count) + fraction
            while fraction.count > 1, fraction.hasSuffix("0") { fraction.removeLast() }
            return (thousandths < 0 ? "-" : "") + String(magnitude / 1000) + "." + fraction
        }
    }

    /// An insertion-ordered map with unique keys, the shape of Parameters and Dictionaries.
    ///
    /// Setting an existing key replaces its value and keeps its position, which is what RFC 8941
    /// prescribes when a parsed field repeats a key.
    public struct OrderedMap<Value: Sendable & Equatable>: Sendable, Equatable, Sequence {
        public typealias Element = (key: String, value: Value)
        public private(set) var entries: [Element] = []
        /// Built once a map grows past a handful of keys, so that duplicate checks stay linear overall.
        private var index: [String: Int]?

        public init() {}

        public init(_ entries: [(String, Value)]) {
            for (key, value) in entries { self[key] = value }
        }

        public var count: Int { entries.count }
        public var isEmpty: Bool { entries.isEmpty }
        public var keys: [String] { entries.map(\.key) }

        public func makeIterator() -> IndexingIterator<[Element]> { entries.makeIterator() }

        public subscript(key: String) -> Value? {
            get { position(of: key).map { entries[$0].value } }
            set {
                if let at = position(of: key) {
                    if let newValue {
                        entries[at].value = newValue
                    } else {
                        entries.remove(at: at)
                        index = nil
                        rebuildIndexIfLarge()
                    }
                } else if let newValue {
                    // Signature parameters are four or five: room for them at once.
                    if entries.capacity == 0 { entries.reserveCapacity(4) }
                    entries.append((key: key, value: newValue))
                    if index != nil {
                        index?[key] = entries.count - 1
                    } else {
                        rebuildIndexIfLarge()
                    }
                }
            }
        }

        private func position(of key: String) -> Int? {
            if let index { return index[key] }
            return entries.firstIndex { $0.key == key }
        }

        private mutating func rebuildIndexIfLarge() {
            guard entries.count > 8 else { return }
            var built: [String: Int] = [:]
            built.reserveCapacity(entries.count)
            for (offset, entry) in entries.enumerated() { built[entry.key] = offset }
            index = built
        }

        public static func == (lhs: OrderedMap, rhs: OrderedMap) -> Bool {
            lhs.entries.count == rhs.entries.count
                && zip(lhs.entries, rhs.entries).allSatisfy { $0.key == $1.key && $0.value == $1.value }
        }
    }

    /// Parameters attached to an item or inner list.
    public typealias Parameters = OrderedMap<BareItem>

    /// A bare item with parameters.
    public struct Item: Sendable, Equatable {
        public var bareItem: BareItem
        public var parameters: Parameters

        public init(_ bareItem: BareItem, parameters: Parameters = Parameters()) {
            self.bareItem = bareItem
            self.parameters = parameters
        }
    }

    /// A parenthesised list of items with its own parameters.
    public struct InnerList: Sendable, Equatable {
        public var items: [Item] { didSet { parsedText = nil } }
        public var parameters: Parameters { didSet { parsedText = nil } }
        /// The text this list was parsed from, kept only when it is exactly the list's
        /// serialisation (the parser checks every way the two could differ), so that serialising
        /// it again, as RFC 9421 does for `@signature-params` on every request, copies the text.
        /// Cleared by any change to the list.
        var parsedText: String?

        public init(_ items: [Item], parameters: Parameters = Parameters()) {
            self.items = items
            self.parameters = parameters
        }

        public static func == (lhs: InnerList, rhs: InnerList) -> Bool {
            lhs.items == rhs.items && lhs.parameters == rhs.parameters
        }
    }

    /// A member of a List or a Dictionary.
    public enum Member: Sendable, Equatable {
        case item(Item)
        case innerList(InnerList)
    }

    public typealias List = [Member]
    public typealias Dictionary = OrderedMap<Member>

    /// The three top-level field types, for fields whose type is looked up by name.
    public enum FieldType: Sendable {
        case item, list, dictionary
    }

    // MARK: - Parsing (RFC 8941 section 4.2)

    /// Parses a field value as a List.
    /// - Throws: ``StructuredFieldError`` where section 4.2 fails parsing, or when the input is longer
    ///   than `maximumLength` bytes.
    public static func parseList(_ text: String, maximumLength: Int = defaultMaximumLength) throws -> List {
        try withParser(text, maximumLength: maximumLength) { try $0.parseTopLevelList() }
    }

    /// Parses a field value as a Dictionary.
    public static func parseDictionary(_ text: String, maximumLength: Int = defaultMaximumLength) throws -> Dictionary {
        try withParser(text, maximumLength: maximumLength) { try $0.parseTopLevelDictionary() }
    }

    /// Parses a field value as an Item.
    public static func parseItem(_ text: String, maximumLength: Int = defaultMaximumLength) throws -> Item {
        try withParser(text, maximumLength: maximumLength) { try $0.parseTopLevelItem() }
    }

    private static func withParser<T>(_ text: String, maximumLength: Int, _ body: (inout Parser) throws -> T) throws -> T {
        let count = text.utf8.count
        guard count <= maximumLength else {
            throw StructuredFieldError("field value is \(count) bytes, more than the \(maximumLength) accepted", offset: 0)
        }
        if let result = try text.utf8.withContiguousStorageIfAvailable({ buffer -> T in
            var parser = Parser(buffer)
            return try body(&parser)
        }) {
            return result
        }
        return try Array(text.utf8).withUnsafeBufferPointer { buffer in
            var parser = Parser(buffer)
            return try body(&parser)
        }
    }

    // MARK: - Serialising (RFC 8941 section 4.1)

    /// Serialises a List (an empty list gives the empty string: the field should then not be sent).
    /// - Throws: ``StructuredFieldError`` if a value cannot be represented (out-of-range integer,
    ///   non-ASCII string, invalid token or key).
    public static func serialize(_ list: List) throws -> String {
        var out = ""
        for (offset, member) in list.enumerated() {
            if offset > 0 { out += ", " }
            try serialize(member, into: &out)
        }
        return out
    }

    /// Serialises a Dictionary.
    public static func serialize(_ dictionary: Dictionary) throws -> String {
        var out = ""
        for (offset, entry) in dictionary.entries.enumerated() {
            if offset > 0 { out += ", " }
            try serializeKey(entry.key, into: &out)
            if case .item(let item) = entry.value, item.bareItem == .boolean(true) {
                try serialize(item.parameters, into: &out)
            } else {
                out += "="
                try serialize(entry.value, into: &out)
            }
        }
        return out
    }

    /// Serialises an Item.
    public static func serialize(_ item: Item) throws -> String {
        var out = ""
        try serialize(item, into: &out)
        return out
    }

    /// Serialises an Inner List (as RFC 9421 writes `@signature-params`).
    public static func serialize(_ innerList: InnerList) throws -> String {
        var out = ""
        out.reserveCapacity(256)  // signature parameters run to about 150 bytes: no regrowing
        try serialize(innerList, into: &out)
        return out
    }

    /// Serialises a bare item without parameters.
    public static func serialize(_ bareItem: BareItem) throws -> String {
        var out = ""
        try serialize(bareItem, into: &out)
        return out
    }

    static func serialize(_ member: Member, into out: inout String) throws {
        switch member {
        case .item(let item): try serialize(item, into: &out)
        case .innerList(let list): try serialize(list, into: &out)
        }
    }

    static func serialize(_ innerList: InnerList, into out: inout String) throws {
        if let text = innerList.parsedText {
            out += text
            return
        }
        out += "("
        for (offset, item) in innerList.items.enumerated() {
            if offset > 0 { out += " " }
            try serialize(item, into: &out)
        }
        out += ")"
        try serialize(innerList.parameters, into: &out)
    }

    static func serialize(_ item: Item, into out: inout String) throws {
        try serialize(item.bareItem, into: &out)
        try serialize(item.parameters, into: &out)
    }

    static func serialize(_ parameters: Parameters, into out: inout String) throws {
        for entry in parameters.entries {
            out += ";"
            try serializeKey(entry.key, into: &out)
            if entry.value != .boolean(true) {
                out += "="
                try serialize(entry.value, into: &out)
            }
        }
    }

    static func serializeKey(_ key: String, into out: inout String) throws {
        guard isValidKey(key) else { throw StructuredFieldError("'\(key)' is not a valid key", offset: nil) }
        out += key
    }

    static func serialize(_ bareItem: BareItem, into out: inout String) throws {
        switch bareItem {
        case .integer(let value):
            guard abs(value) <= 999_999_999_999_999 else {
                throw StructuredFieldError("integer \(value) is out of range", offset: nil)
            }
            out += String(value)
        case .decimal(let value):
            guard value.thousandths.magnitude < 1_000_000_000_000_000 else {
                throw StructuredFieldError("decimal \(value) has more than 12 integer digits", offset: nil)
            }
            out += value.description
        case .string(let value):
            out += "\""
            // The usual string (a key id, a component name) needs no escape: appended whole.
            if value.utf8.allSatisfy({ $0 >= 0x20 && $0 <= 0x7E && $0 != 0x22 && $0 != 0x5C }) {
                out += value
                out += "\""
                return
            }
            for scalar in value.unicodeScalars {
                guard scalar.value >= 0x20, scalar.value <= 0x7E else {
                    throw StructuredFieldError("strings may only hold printable ASCII", offset: nil)
                }
                if scalar == "\"" || scalar == "\\" { out += "\\" }
                out.unicodeScalars.append(scalar)
            }
            out += "\""
        case .token(let value):
            guard isValidToken(value) else { throw StructuredFieldError("'\(value)' is not a valid token", offset: nil) }
            out += value
        case .byteSequence(let bytes):
            out += ":" + Base64.encode(bytes) + ":"
        case .boolean(let value):
            out += value ? "?1" : "?0"
        }
    }

    /// True when `key` matches `( lcalpha / "*" ) *( lcalpha / DIGIT / "_" / "-" / "." / "*" )`.
    public static func isValidKey(_ key: String) -> Bool {
        var iterator = key.utf8.makeIterator()
        guard let first = iterator.next(), CharacterClass.isLowerAlpha(first) || first == UInt8(ascii: "*") else { return false }
        while let char = iterator.next() {
            guard CharacterClass.isKeyChar(char) else { return false }
        }
        return true
    }

    /// True when `token` matches `( ALPHA / "*" ) *( tchar / ":" / "/" )`.
    public static func isValidToken(_ token: String) -> Bool {
        var iterator = token.utf8.makeIterator()
        guard let first = iterator.next(), CharacterClass.isAlpha(first) || first == UInt8(ascii: "*") else { return false }
        while let char = iterator.next() {
            guard CharacterClass.isTokenChar(char) else { return false }
        }
        return true
    }
}

/// A structured field value that does not parse or cannot be serialised.
public struct StructuredFieldError: Error, CustomStringConvertible, Sendable, Equatable {
    /// What is wrong, in plain words.
    public let message: String
    /// Byte offset in the input where parsing failed (nil for serialisation errors).
    public let offset: Int?

    init(_ message: String, offset: Int?) {
        self.message = message
        self.offset = offset
    }

    public var description: String {
        offset.map { "\(message) (at byte \($0))" } ?? message
    }
}

/// ASCII classes used by RFC 8941.
enum CharacterClass {
    @inline(__always) static func isDigit(_ c: UInt8) -> Bool { c >= 0x30 && c <= 0x39 }
    @inline(__always) static func isLowerAlpha(_ c: UInt8) -> Bool { c >= 0x61 && c <= 0x7A }
    @inline(__always) static func isAlpha(_ c: UInt8) -> Bool { isLowerAlpha(c | 0x20) }

    @inline(__always) static func isKeyChar(_ c: UInt8) -> Bool {
        isLowerAlpha(c) || isDigit(c) || c == UInt8(ascii: "_") || c == UInt8(ascii: "-") || c == UInt8(ascii: ".")
            || c == UInt8(ascii: "*")
    }

    /// RFC 9110 tchar.
    @inline(__always) static func isTchar(_ c: UInt8) -> Bool {
        if isAlpha(c) || isDigit(c) { return true }
        switch c {
        case UInt8(ascii: "!"), UInt8(ascii: "#"), UInt8(ascii: "$"), UInt8(ascii: "%"), UInt8(ascii: "&"),
            UInt8(ascii: "'"), UInt8(ascii: "*"), UInt8(ascii: "+"), UInt8(ascii: "-"), UInt8(ascii: "."),
            UInt8(ascii: "^"), UInt8(ascii: "_"), UInt8(ascii: "`"), UInt8(ascii: "|"), UInt8(ascii: "~"):
            return true
        default:
            return false
        }
    }

    @inline(__always) static func isTokenChar(_ c: UInt8) -> Bool {
        isTchar(c) || c == UInt8(ascii: ":") || c == UInt8(ascii: "/")
    }
}

/// The section 4.2 algorithms over the UTF-8 bytes of a field value.
private struct Parser {
    typealias SF = StructuredFields
    let input: UnsafeBufferPointer<UInt8>
    var position = 0
    /// False once the inner list being parsed was written in a way its serialisation would
    /// write differently (see ``SF/InnerList/parsedText``).
    var canonical = true

    init(_ input: UnsafeBufferPointer<UInt8>) {
        self.input = input
    }

    var isAtEnd: Bool { position >= input.count }
    var peek: UInt8? { position < input.count ? input[position] : nil }

    func fail(_ message: String) -> StructuredFieldError {
        StructuredFieldError(message, offset: position)
    }

    mutating func skipSP() {
        while position < input.count, input[position] == 0x20 { position += 1 }
    }

    mutating func skipOWS() {
        while position < input.count, input[position] == 0x20 || input[position] == 0x09 { position += 1 }
    }

    mutating func finish() throws {
        skipSP()
        guard isAtEnd else { throw fail("unexpected character after the value") }
    }

    mutating func parseTopLevelList() throws -> SF.List {
        skipSP()
        var members: SF.List = []
        while !isAtEnd {
            members.append(try parseItemOrInnerList())
            skipOWS()
            if isAtEnd { break }
            guard input[position] == UInt8(ascii: ",") else { throw fail("expected ',' between list members") }
            position += 1
            skipOWS()
            if isAtEnd { throw fail("trailing ',' at the end of the list") }
        }
        try finish()
        return members
    }

    mutating func parseTopLevelDictionary() throws -> SF.Dictionary {
        skipSP()
        var dictionary = SF.Dictionary()
        while !isAtEnd {
            let key = try parseKey()
            if peek == UInt8(ascii: "=") {
                position += 1
                dictionary[key] = try parseItemOrInnerList()
            } else {
                dictionary[key] = .item(SF.Item(.boolean(true), parameters: try parseParameters()))
            }
            skipOWS()
            if isAtEnd { break }
            guard input[position] == UInt8(ascii: ",") else { throw fail("expected ',' between dictionary members") }
            position += 1
            skipOWS()
            if isAtEnd { throw fail("trailing ',' at the end of the dictionary") }
        }
        try finish()
        return dictionary
    }

    mutating func parseTopLevelItem() throws -> SF.Item {
        skipSP()
        let item = try parseItem()
        try finish()
        return item
    }

    mutating func parseItemOrInnerList() throws -> SF.Member {
        if peek == UInt8(ascii: "(") { return .innerList(try parseInnerList()) }
        return .item(try parseItem())
    }

    mutating func parseInnerList() throws -> SF.InnerList {
        let start = position
        let outerCanonical = canonical
        canonical = true
        defer { canonical = outerCanonical && canonical }
        position += 1  // "("
        var items: [SF.Item] = []
        items.reserveCapacity(4)  // a signature covers three or four components
        while !isAtEnd {
            let beforeSpaces = position
            skipSP()
            // Serialised: no space after "(" or before ")", one between items.
            let spaces = position - beforeSpaces
            if peek == UInt8(ascii: ")") {
                if spaces != 0 { canonical = false }
                position += 1
                var list = SF.InnerList(items, parameters: try parseParameters())
                if canonical {
                    list.parsedText = String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
                }
                return list
            }
            if spaces != (items.isEmpty ? 0 : 1) { canonical = false }
            items.append(try parseItem())
            guard let next = peek, next == 0x20 || next == UInt8(ascii: ")") else {
                throw fail("expected ' ' or ')' after an inner-list item")
            }
        }
        throw fail("inner list is not closed with ')'")
    }

    mutating func parseItem() throws -> SF.Item {
        let bare = try parseBareItem()
        return SF.Item(bare, parameters: try parseParameters())
    }

    mutating func parseParameters() throws -> SF.Parameters {
        var parameters = SF.Parameters()
        while peek == UInt8(ascii: ";") {
            position += 1
            let beforeSpaces = position
            skipSP()
            if position != beforeSpaces { canonical = false }
            let key = try parseKey()
            var value = SF.BareItem.boolean(true)
            if peek == UInt8(ascii: "=") {
                position += 1
                value = try parseBareItem()
                // Serialised, a true parameter is the bare key.
                if value == .boolean(true) { canonical = false }
            }
            // A repeated key keeps one entry, so the serialisation has one fewer.
            if parameters[key] != nil { canonical = false }
            parameters[key] = value
        }
        return parameters
    }

    mutating func parseKey() throws -> String {
        guard let first = peek, CharacterClass.isLowerAlpha(first) || first == UInt8(ascii: "*") else {
            throw fail("a key must start with a lowercase letter or '*'")
        }
        let start = position
        position += 1
        while let char = peek, CharacterClass.isKeyChar(char) { position += 1 }
        return string(from: start)
    }

    mutating func parseBareItem() throws -> SF.BareItem {
        guard let first = peek else { throw fail("a value is missing") }
        if first == UInt8(ascii: "-") || CharacterClass.isDigit(first) { return try parseNumber() }
        if first == UInt8(ascii: "\"") { return try parseString() }
        if CharacterClass.isAlpha(first) || first == UInt8(ascii: "*") { return try parseToken() }
        if first == UInt8(ascii: ":") { return try parseByteSequence() }
        if first == UInt8(ascii: "?") { return try parseBoolean() }
        throw fail("unexpected character \(describe(first)) where a value should start")
    }

    mutating func parseNumber() throws -> SF.BareItem {
        var negative = false
        if peek == UInt8(ascii: "-") {
            negative = true
            position += 1
        }
        guard let first = peek, CharacterClass.isDigit(first) else { throw fail("a number must have a digit after '-'") }
        var integerPart: Int64 = 0
        var integerDigits = 0
        var fraction: Int64 = 0
        var fractionDigits = 0
        var isDecimal = false
        while let char = peek {
            if CharacterClass.isDigit(char) {
                if isDecimal {
                    fractionDigits += 1
                    guard fractionDigits <= 3 else { throw fail("a decimal has at most 3 fractional digits") }
                    fraction = fraction * 10 + Int64(char - 0x30)
                } else {
                    integerDigits += 1
                    guard integerDigits <= 15 else { throw fail("an integer has at most 15 digits") }
                    integerPart = integerPart * 10 + Int64(char - 0x30)
                }
                position += 1
            } else if char == UInt8(ascii: "."), !isDecimal {
                guard integerDigits <= 12 else { throw fail("a decimal has at most 12 integer digits") }
                isDecimal = true
                position += 1
            } else {
                break
            }
        }
        let sign: Int64 = negative ? -1 : 1
        // Serialised: no leading zeros, no "-0", and decimals in their shortest form (not
        // checked: a decimal simply counts as written differently).
        if isDecimal || (integerDigits > 1 && input[position - integerDigits] == 0x30) || (negative && integerPart == 0) {
            canonical = false
        }
        guard isDecimal else { return .integer(sign * integerPart) }
        guard fractionDigits > 0 else { throw fail("a decimal must not end with '.'") }
        var scale: Int64 = 1
        for _ in fractionDigits..<3 { scale *= 10 }
        return .decimal(SF.Decimal(thousandths: sign * (integerPart * 1000 + fraction * scale)))
    }

    mutating func parseString() throws -> SF.BareItem {
        position += 1  // DQUOTE
        // The usual string has no escapes: made from the input directly, without a byte array.
        var end = position
        while end < input.count, input[end] >= 0x20, input[end] <= 0x7E, input[end] != UInt8(ascii: "\\") {
            if input[end] == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: input[position..<end]), as: UTF8.self)
                position = end + 1
                return .string(text)
            }
            end += 1
        }
        var bytes: [UInt8] = []
        while position < input.count {
            let char = input[position]
            position += 1
            if char == UInt8(ascii: "\\") {
                guard position < input.count else { throw fail("string ends inside an escape") }
                let next = input[position]
                guard next == UInt8(ascii: "\"") || next == UInt8(ascii: "\\") else {
                    throw fail("only '\\\"' and '\\\\' escapes are allowed in strings")
                }
                position += 1
                bytes.append(next)
            } else if char == UInt8(ascii: "\"") {
                return .string(String(decoding: bytes, as: UTF8.self))
            } else if char < 0x20 || char > 0x7E {
                position -= 1
                throw fail("strings may only hold printable ASCII, found \(describe(char))")
            } else {
                bytes.append(char)
            }
        }
        throw fail("string is not terminated with '\"'")
    }

    mutating func parseToken() throws -> SF.BareItem {
        let start = position
        position += 1
        while let char = peek, CharacterClass.isTokenChar(char) { position += 1 }
        return .token(string(from: start))
    }

    mutating func parseByteSequence() throws -> SF.BareItem {
        canonical = false  // lenient base64 may be written differently when serialised
        position += 1  // ":"
        let start = position
        while position < input.count, input[position] != UInt8(ascii: ":") {
            let char = input[position]
            guard CharacterClass.isAlpha(char) || CharacterClass.isDigit(char) || char == UInt8(ascii: "+")
                || char == UInt8(ascii: "/") || char == UInt8(ascii: "=")
            else { throw fail("byte sequences hold base64 only, found \(describe(char))") }
            position += 1
        }
        guard position < input.count else { throw fail("byte sequence is not terminated with ':'") }
        let content = UnsafeBufferPointer(rebasing: input[start..<position])
        position += 1
        guard let bytes = LenientBase64.decode(content) else {
            throw StructuredFieldError("byte sequence is not valid base64", offset: start)
        }
        return .byteSequence(bytes)
    }

    mutating func parseBoolean() throws -> SF.BareItem {
        position += 1  // "?"
        switch peek {
        case UInt8(ascii: "1"):
            position += 1
            return .boolean(true)
        case UInt8(ascii: "0"):
            position += 1
            return .boolean(false)
        default:
            throw fail("a boolean is '?0' or '?1'")
        }
    }

    func string(from start: Int) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: input[start..<position]), as: UTF8.self)
    }

    func describe(_ char: UInt8) -> String {
        (0x21...0x7E).contains(char) ? "'\(Character(Unicode.Scalar(char)))'" : "byte 0x\(String(char, radix: 16))"
    }
}

/// Base64 as RFC 8941 section 4.2.7 wants it read: padding may be missing and unused trailing bits
/// may be set (recipients SHOULD NOT fail on either), but `=` may only appear at the end.
enum LenientBase64 {
    static func decode(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        var end = input.count
        var padding = 0
        while end > 0, input[end - 1] == UInt8(ascii: "="), padding < 2 {
            end -= 1
            padding += 1
        }
        if padding > 0, input.count % 4 != 0 { return nil }
        guard end % 4 != 1 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(end / 4 * 3 + 2)
        var accumulator: UInt32 = 0
        var bits = 0
        let table = Base64.standardTable
        for offset in 0..<end {
            let value = table[Int(input[offset])]
            guard value != 0xFF else { return nil }
            accumulator = (accumulator << 6 | UInt32(value)) & 0xFFFF
            bits += 6
            if bits >= 8 {
                bits -= 8
                out.append(UInt8(truncatingIfNeeded: accumulator >> UInt32(bits)))
            }
        }
        return out
    }
}
