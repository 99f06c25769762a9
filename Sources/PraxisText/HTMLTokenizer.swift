/// One token of an HTML document.
enum HTMLToken: Equatable {
    /// Text with character references already decoded.
    case text(String)
    /// A start tag; the name is lower-cased ASCII, attribute names too, values decoded. Only the
    /// first of several attributes with the same name is kept, as browsers do.
    case startTag(name: String, attributes: [(name: String, value: String)], selfClosing: Bool)
    /// An end tag; attributes on end tags are ignored, as browsers do.
    case endTag(name: String)

    static func == (lhs: HTMLToken, rhs: HTMLToken) -> Bool {
        switch (lhs, rhs) {
        case let (.text(a), .text(b)): return a == b
        case let (.endTag(a), .endTag(b)): return a == b
        case let (.startTag(n1, a1, s1), .startTag(n2, a2, s2)):
            return n1 == n2 && s1 == s2 && a1.count == a2.count
                && zip(a1, a2).allSatisfy { $0.name == $1.name && $0.value == $1.value }
        default: return false
        }
    }
}

/// Splits HTML into tokens following the states of the HTML standard's tokenizer that matter for
/// sanitising: tags with quoted and unquoted attributes, comments (including `<!-->` and `--!>`),
/// bogus comments (`<!DOCTYPE`, `<?`, `<![CDATA[` outside foreign content, `</ x>`), raw-text and
/// RCDATA elements (`script`, `style`, `textarea`, `title` …) whose content is never parsed as tags,
/// and `plaintext`, which swallows the rest of the input.
///
/// It runs in one left-to-right pass: every scan either consumes what it reads or stops at a
/// delimiter it then consumes, so the time is linear in the input. Comments and bogus comments are
/// dropped; a tag cut off by the end of the input is dropped too, as a browser does.
struct HTMLTokenizer {
    private let input: [Unicode.Scalar]
    private var position = 0
    /// Set after a raw-text start tag: the content up to `</name` is text (or dropped by the caller).
    private var rawTextElement: String?
    private var pendingText: [Unicode.Scalar] = []
    /// A tag read while text was pending; returned on the call after the text.
    private var pendingToken: HTMLToken?

    /// Elements whose content the tokenizer does not parse as markup.
    static let rawTextElements: Set<String> = [
        "script", "style", "xmp", "iframe", "noembed", "noframes", "noscript", "textarea", "title",
    ]
    /// Raw-text elements whose content still has character references decoded.
    private static let rcdataElements: Set<String> = ["textarea", "title"]

    init(_ html: String) {
        input = InputScalars.normalized(html)
    }

    /// Returns every token of the input.
    static func tokenize(_ html: String) -> [HTMLToken] {
        var tokenizer = HTMLTokenizer(html)
        var tokens: [HTMLToken] = []
        while let token = tokenizer.next() { tokens.append(token) }
        return tokens
    }

    /// Returns the next token, or `nil` at the end of the input. Adjacent text is merged.
    mutating func next() -> HTMLToken? {
        if let token = pendingToken {
            pendingToken = nil
            return token
        }
        if let element = rawTextElement {
            rawTextElement = nil
            if let token = rawText(until: element) { return token }
        }
        while position < input.count {
            let scalar = input[position]
            if scalar == "<" {
                guard let token = markup() else { continue }
                if pendingText.isEmpty { return token }
                // The text before the tag goes first; the tag follows on the next call.
                pendingToken = token
                return flushText()
            }
            if scalar == "&", let (replacement, end) = HTMLEntities.decode(input, at: position, inAttribute: false) {
                pendingText.append(contentsOf: InputScalars.normalized(replacement))
                position = end
                continue
            }
            pendingText.append(scalar)
            position += 1
        }
        return pendingText.isEmpty ? nil : flushText()
    }

    private mutating func flushText() -> HTMLToken {
        var text = ""
        text.unicodeScalars.append(contentsOf: pendingText)
        pendingText.removeAll(keepingCapacity: true)
        return .text(text)
    }

    /// Reads markup at `<`. Returns a tag token, or `nil` once it has consumed a comment, a tag cut
    /// off by the end of the input (both emit nothing), or a literal `<` (added to the pending text).
    private mutating func markup() -> HTMLToken? {
        let next = peek(1)
        if let next, isASCIILetter(next) {
            position += 1
            return tag(isEnd: false)
        }
        if next == "/" {
            if let after = peek(2), isASCIILetter(after) {
                position += 2
                return tag(isEnd: true)
            }
            if peek(2) == ">" {
                position += 3  // "</>" is dropped.
                return nil
            }
            if peek(2) == nil {
                return literalLessThan()
            }
            position += 2
            skipBogusComment()
            return nil
        }
        if next == "!" {
            if peek(2) == "-" && peek(3) == "-" {
                position += 4
                skipComment()
                return nil
            }
            position += 2
            skipBogusComment()
            return nil
        }
        if next == "?" {
            position += 1
            skipBogusComment()
            return nil
        }
        return literalLessThan()
    }

    private mutating func literalLessThan() -> HTMLToken? {
        pendingText.append("<")
        position += 1
        return nil
    }

    private func peek(_ offset: Int) -> Unicode.Scalar? {
        position + offset < input.count ? input[position + offset] : nil
    }

    /// Comment body after `<!--`: ends at `-->` or `--!>`; `<!-->` and `<!--->` are complete comments.
    private mutating func skipComment() {
        if peek(0) == ">" {
            position += 1
            return
        }
        if peek(0) == "-" && peek(1) == ">" {
            position += 2
            return
        }
        while position < input.count {
            if input[position] == "-" && peek(1) == "-" {
                if peek(2) == ">" {
                    position += 3
                    return
                }
                if peek(2) == "!" && peek(3) == ">" {
                    position += 4
                    return
                }
            }
            position += 1
        }
    }

    private mutating func skipBogusComment() {
        while position < input.count {
            defer { position += 1 }
            if input[position] == ">" { return }
        }
    }

    /// Reads a tag after `<` or `</`; returns `nil` when the input ends inside it.
    private mutating func tag(isEnd: Bool) -> HTMLToken? {
        var name = ""
        while position < input.count {
            let scalar = input[position]
            if isTagWhitespace(scalar) || scalar == "/" || scalar == ">" { break }
            name.unicodeScalars.append(asciiLowercased(scalar))
            position += 1
        }
        var attributes: [(name: String, value: String)] = []
        var seen: Set<String> = []
        var selfClosing = false
        while true {
            guard position < input.count else { return nil }
            let scalar = input[position]
            if isTagWhitespace(scalar) {
                position += 1
                continue
            }
            if scalar == ">" {
                position += 1
                break
            }
            if scalar == "/" {
                position += 1
                if peek(0) == ">" {
                    selfClosing = true
                    position += 1
                    break
                }
                continue
            }
            guard let attribute = readAttribute() else { return nil }
            if seen.insert(attribute.name).inserted {
                attributes.append(attribute)
            }
        }
        if isEnd { return .endTag(name: name) }
        if name == "plaintext" {
            // Everything after <plaintext> is text; the sanitiser drops it with the element.
            position = input.count
        } else if Self.rawTextElements.contains(name) {
            rawTextElement = name
        }
        return .startTag(name: name, attributes: attributes, selfClosing: selfClosing)
    }

    /// Reads one attribute; the first character may be `=`, as in the standard.
    private mutating func readAttribute() -> (name: String, value: String)? {
        var name = ""
        var first = true
        while position < input.count {
            let scalar = input[position]
            if isTagWhitespace(scalar) || scalar == "/" || scalar == ">" || (scalar == "=" && !first) { break }
            name.unicodeScalars.append(asciiLowercased(scalar))
            position += 1
            first = false
        }
        while position < input.count, isTagWhitespace(input[position]) { position += 1 }
        guard position < input.count else { return nil }
        guard input[position] == "=" else { return (name, "") }
        position += 1
        while position < input.count, isTagWhitespace(input[position]) { position += 1 }
        guard position < input.count else { return nil }
        var value: [Unicode.Scalar] = []
        let quote = input[position]
        if quote == "\"" || quote == "'" {
            position += 1
            while true {
                guard position < input.count else { return nil }
                let scalar = input[position]
                if scalar == quote {
                    position += 1
                    break
                }
                appendAttributeScalar(scalar, to: &value)
            }
        } else {
            while position < input.count {
                let scalar = input[position]
                if isTagWhitespace(scalar) || scalar == ">" { break }
                appendAttributeScalar(scalar, to: &value)
            }
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: value)
        return (name, text)
    }

    private mutating func appendAttributeScalar(_ scalar: Unicode.Scalar, to value: inout [Unicode.Scalar]) {
        if scalar == "&", let (replacement, end) = HTMLEntities.decode(input, at: position, inAttribute: true) {
            value.append(contentsOf: replacement.unicodeScalars)
            position = end
        } else {
            value.append(scalar)
            position += 1
        }
    }

    /// Content of a raw-text element up to its end tag (which is left for the next call).
    private mutating func rawText(until element: String) -> HTMLToken? {
        let start = position
        var end = input.count
        var index = position
        while index < input.count {
            if input[index] == "<", index + 1 < input.count, input[index + 1] == "/", matchesEndTag(element, at: index + 2) {
                end = index
                break
            }
            index += 1
        }
        position = end
        guard end > start else { return nil }
        let content = input[start..<end]
        if Self.rcdataElements.contains(element) {
            var text = ""
            var i = start
            while i < end {
                if input[i] == "&", let (replacement, next) = HTMLEntities.decode(input, at: i, inAttribute: false), next <= end {
                    text.unicodeScalars.append(contentsOf: InputScalars.normalized(replacement))
                    i = next
                } else {
                    text.unicodeScalars.append(input[i])
                    i += 1
                }
            }
            return .text(text)
        }
        var text = ""
        text.unicodeScalars.append(contentsOf: content)
        return .text(text)
    }

    /// True when `</` at `index - 2` is followed by `element` and then whitespace, `/` or `>`.
    private func matchesEndTag(_ element: String, at index: Int) -> Bool {
        var i = index
        for expected in element.unicodeScalars {
            guard i < input.count, asciiLowercased(input[i]) == expected else { return false }
            i += 1
        }
        guard i < input.count else { return false }
        let after = input[i]
        return isTagWhitespace(after) || after == "/" || after == ">"
    }
}

@inline(__always)
func isASCIILetter(_ scalar: Unicode.Scalar) -> Bool {
    (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
}

@inline(__always)
func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
    scalar >= "A" && scalar <= "Z" ? Unicode.Scalar(scalar.value + 32) ?? scalar : scalar
}

@inline(__always)
private func isTagWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\u{0C}"
}
