/// Inline Markdown: emphasis, code spans, links, autolinks and line breaks, in one linear pass.
///
/// Emphasis and link brackets are matched with a stack of openers, indexed per kind so that finding
/// the nearest opener of a kind is O(1); a match removes every opener above it (they stay literal
/// text), so each opener is pushed and popped once. Because a match closes only the opener it found
/// after removing those in between, the produced tags always nest properly.
struct InlineParser {
    private enum Node {
        case text(String)
        /// A delimiter or bracket that may still become markup; literal text otherwise.
        case delimiter(String)
        case markup(String)
        case autolink(url: String, text: String)
    }

    /// Opener kinds: `*`, `**`, `_`, `__`, `[`.
    private enum Kind: Int, CaseIterable {
        case star = 0, doubleStar, underscore, doubleUnderscore, bracket
    }

    private struct Opener {
        var kind: Kind
        var node: Int
    }

    private let input: [Unicode.Scalar]
    private var nodes: [Node] = []
    private var openers: [Opener] = []
    /// For each kind, the indices into `openers` of live openers of that kind, ascending.
    private var openersByKind: [[Int]] = Array(repeating: [], count: Kind.allCases.count)
    /// Backtick runs by length, with a cursor, to find a code span's closing run in O(1) amortised.
    private var backtickRuns: [Int: (positions: [Int], cursor: Int)] = [:]

    /// Longest link destination examined; longer ones are shown as text.
    private static let maxDestination = 2_048
    /// Deepest nesting of parentheses inside a link destination.
    private static let maxDestinationParentheses = 32

    static func render(_ text: [Unicode.Scalar]) -> String {
        var parser = InlineParser(input: text)
        parser.parse()
        return parser.html()
    }

    private init(input: [Unicode.Scalar]) {
        self.input = input
        var index = 0
        while index < input.count {
            guard input[index] == "`" else {
                index += 1
                continue
            }
            let start = index
            while index < input.count, input[index] == "`" { index += 1 }
            backtickRuns[index - start, default: ([], 0)].positions.append(start)
        }
    }

    private mutating func parse() {
        var index = 0
        while index < input.count {
            let scalar = input[index]
            switch scalar {
            case "\\":
                if index + 1 < input.count, isASCIIPunctuation(input[index + 1]) {
                    appendText(input[index + 1])
                    index += 2
                } else {
                    appendText(scalar)
                    index += 1
                }
            case "`":
                index = codeSpan(at: index)
            case "*", "_":
                index = delimiterRun(at: index)
            case "[":
                pushOpener(.bracket, node: .delimiter("["))
                index += 1
            case "]":
                index = closeBracket(at: index)
            case "\n":
                nodes.append(.markup("<br>"))
                index += 1
            case "h", "H":
                index = autolink(at: index)
            default:
                appendText(scalar)
                index += 1
            }
        }
    }

    private func html() -> String {
        var output = ""
        for node in nodes {
            switch node {
            case let .text(text), let .delimiter(text):
                HTMLEscape.append(text.unicodeScalars, to: &output)
            case let .markup(markup):
                output += markup
            case let .autolink(url, text):
                output += Self.anchor(url) + HTMLEscape.text(text) + "</a>"
            }
        }
        return output
    }

    private static func anchor(_ url: String) -> String {
        "<a href=\"" + HTMLEscape.text(url) + "\" rel=\"" + LinkPolicy.rel + "\">"
    }

    private mutating func appendText(_ scalar: Unicode.Scalar) {
        if case var .text(text) = nodes.last {
            nodes[nodes.count - 1] = .text("")  // Keep the string uniquely referenced while appending.
            text.unicodeScalars.append(scalar)
            nodes[nodes.count - 1] = .text(text)
        } else {
            nodes.append(.text(String(scalar)))
        }
    }

    private mutating func appendText(_ scalars: ArraySlice<Unicode.Scalar>) {
        for scalar in scalars { appendText(scalar) }
    }

    // MARK: Code spans

    private mutating func codeSpan(at start: Int) -> Int {
        var end = start
        while end < input.count, input[end] == "`" { end += 1 }
        let length = end - start
        guard let closing = nextBacktickRun(length: length, after: end) else {
            appendText(input[start..<end])
            return end
        }
        var content = Array(input[end..<closing].map { $0 == "\n" ? " " : $0 })
        if content.count >= 2, content.first == " ", content.last == " ", content.contains(where: { $0 != " " }) {
            content = Array(content.dropFirst().dropLast())
        }
        var markup = "<code>"
        HTMLEscape.append(content, to: &markup)
        nodes.append(.markup(markup + "</code>"))
        return closing + length
    }

    private mutating func nextBacktickRun(length: Int, after position: Int) -> Int? {
        guard var runs = backtickRuns[length] else { return nil }
        while runs.cursor < runs.positions.count, runs.positions[runs.cursor] < position { runs.cursor += 1 }
        backtickRuns[length] = runs
        return runs.cursor < runs.positions.count ? runs.positions[runs.cursor] : nil
    }

    // MARK: Emphasis

    private mutating func delimiterRun(at start: Int) -> Int {
        let character = input[start]
        var end = start
        while end < input.count, input[end] == character { end += 1 }
        let length = end - start
        guard length <= 3 else {
            appendText(input[start..<end])
            return end
        }
        let before: Unicode.Scalar = start > 0 ? input[start - 1] : " "
        let after: Unicode.Scalar = end < input.count ? input[end] : " "
        let leftFlanking = !isWhitespace(after) && (!isPunctuation(after) || isWhitespace(before) || isPunctuation(before))
        let rightFlanking = !isWhitespace(before) && (!isPunctuation(before) || isWhitespace(after) || isPunctuation(after))
        let canOpen: Bool
        let canClose: Bool
        if character == "*" {
            canOpen = leftFlanking
            canClose = rightFlanking
        } else {
            // Intraword underscores (snake_case, @jean_luc@host) are never emphasis.
            canOpen = leftFlanking && (!rightFlanking || isPunctuation(before))
            canClose = rightFlanking && (!leftFlanking || isPunctuation(after))
        }
        let single: Kind = character == "*" ? .star : .underscore
        let double: Kind = character == "*" ? .doubleStar : .doubleUnderscore
        var remaining: [Kind] = length == 3 ? [single, double] : [length == 1 ? single : double]
        if canClose {
            while true {
                // Close the nearest open kind first so tags nest.
                let candidates = remaining.compactMap { kind in openersByKind[kind.rawValue].last.map { (kind, $0) } }
                guard let (kind, openerIndex) = candidates.max(by: { $0.1 < $1.1 }) else { break }
                let node = openers[openerIndex].node
                popOpeners(downTo: openerIndex)
                let tag = kind == single ? "em" : "strong"
                nodes[node] = .markup("<" + tag + ">")
                nodes.append(.markup("</" + tag + ">"))
                remaining.removeAll { $0 == kind }
            }
        }
        guard !remaining.isEmpty else { return end }
        if canOpen {
            for kind in remaining {
                pushOpener(kind, node: .delimiter(kind == single ? String(character) : String(character) + String(character)))
            }
        } else {
            let count = remaining.reduce(0) { $0 + ($1 == single ? 1 : 2) }
            appendText(input[start..<(start + count)])
        }
        return end
    }

    private mutating func pushOpener(_ kind: Kind, node: Node) {
        nodes.append(node)
        openersByKind[kind.rawValue].append(openers.count)
        openers.append(Opener(kind: kind, node: nodes.count - 1))
    }

    /// Removes the opener at `index` and every opener above it; they remain literal text.
    private mutating func popOpeners(downTo index: Int) {
        openers.removeLast(openers.count - index)
        for kind in Kind.allCases {
            while let last = openersByKind[kind.rawValue].last, last >= index {
                openersByKind[kind.rawValue].removeLast()
            }
        }
    }

    // MARK: Links

    private mutating func closeBracket(at index: Int) -> Int {
        guard let openerIndex = openersByKind[Kind.bracket.rawValue].last else {
            appendText("]")
            return index + 1
        }
        guard let (destination, end) = linkDestination(after: index), let href = LinkPolicy.safeHref(destination) else {
            // Not a link: the bracket stays text and can no longer open one.
            openersByKind[Kind.bracket.rawValue].removeLast()
            appendText("]")
            return index + 1
        }
        let node = openers[openerIndex].node
        popOpeners(downTo: openerIndex)
        // Links cannot contain links: earlier brackets can no longer open one.
        openersByKind[Kind.bracket.rawValue].removeAll()
        for position in (node + 1)..<max(node + 1, nodes.count) {
            if case let .autolink(_, text) = nodes[position] { nodes[position] = .text(text) }
        }
        nodes[node] = .markup(Self.anchor(href))
        nodes.append(.markup("</a>"))
        return end
    }

    /// Parses `(destination)` right after the `]` at `index`; titles are not supported.
    private func linkDestination(after index: Int) -> (String, Int)? {
        var position = index + 1
        guard position < input.count, input[position] == "(" else { return nil }
        position += 1
        while position < input.count, isWhitespace(input[position]) { position += 1 }
        var destination = ""
        let limit = min(input.count, position + Self.maxDestination)
        if position < input.count, input[position] == "<" {
            position += 1
            while true {
                guard position < limit else { return nil }
                let scalar = input[position]
                if scalar == ">" { break }
                if scalar == "<" || scalar == "\n" { return nil }
                destination.unicodeScalars.append(scalar)
                position += 1
            }
            position += 1
        } else {
            var depth = 0
            while position < limit {
                let scalar = input[position]
                if isWhitespace(scalar) { break }
                if scalar == "\\", position + 1 < input.count, isASCIIPunctuation(input[position + 1]) {
                    destination.unicodeScalars.append(input[position + 1])
                    position += 2
                    continue
                }
                if scalar == "(" {
                    depth += 1
                    guard depth <= Self.maxDestinationParentheses else { return nil }
                } else if scalar == ")" {
                    if depth == 0 { break }
                    depth -= 1
                }
                destination.unicodeScalars.append(scalar)
                position += 1
            }
        }
        while position < input.count, isWhitespace(input[position]) { position += 1 }
        guard position < input.count, input[position] == ")" else { return nil }
        return (destination, position + 1)
    }

    // MARK: Autolinks

    /// Links a bare `http://` or `https://` URL; trailing punctuation stays outside the link.
    private mutating func autolink(at start: Int) -> Int {
        let startsWord = start == 0 || !(isASCIILetter(input[start - 1]) || (input[start - 1] >= "0" && input[start - 1] <= "9"))
        guard startsWord, hasSchemePrefix(at: start) else {
            appendText(input[start])
            return start + 1
        }
        var end = start
        while end < input.count {
            let scalar = input[end]
            if isWhitespace(scalar) || scalar == "<" || scalar == ">" || scalar == "\"" || scalar == "`" { break }
            // Inside link text a bare URL ends at the closing bracket: `[https://a.org](https://b.org)`.
            if scalar == "]", !openersByKind[Kind.bracket.rawValue].isEmpty { break }
            end += 1
        }
        let opening = input[start..<end].filter { $0 == "(" }.count
        var closing = input[start..<end].filter { $0 == ")" }.count
        while end > start {
            let last = input[end - 1]
            if ".,:;!?'*_".unicodeScalars.contains(last) {
                end -= 1
            } else if last == ")", closing > opening {
                closing -= 1
                end -= 1
            } else {
                break
            }
        }
        var url = ""
        url.unicodeScalars.append(contentsOf: input[start..<end])
        guard let href = LinkPolicy.safeHref(url) else {
            // Skip the whole candidate so a failed URL is never rescanned from inside.
            appendText(input[start..<max(end, start + 1)])
            return max(end, start + 1)
        }
        nodes.append(.autolink(url: href, text: url))
        return end
    }

    private func hasSchemePrefix(at start: Int) -> Bool {
        for prefix in ["https://", "http://"] {
            let scalars = Array(prefix.unicodeScalars)
            guard start + scalars.count <= input.count else { continue }
            if zip(input[start..<(start + scalars.count)], scalars).allSatisfy({ asciiLowercased($0) == $1 }) {
                return true
            }
        }
        return false
    }
}

private func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
    scalar.properties.isWhitespace
}

private func isASCIIPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    scalar.isASCII && "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~".unicodeScalars.contains(scalar)
}

/// Unicode punctuation and symbols, as CommonMark's flanking rules use them.
private func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
    if scalar.isASCII { return isASCIIPunctuation(scalar) }
    switch scalar.properties.generalCategory {
    case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation, .initialPunctuation,
        .finalPunctuation, .otherPunctuation, .mathSymbol, .currencySymbol, .modifierSymbol, .otherSymbol:
        return true
    default:
        return false
    }
}
