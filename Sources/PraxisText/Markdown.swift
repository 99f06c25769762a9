/// Renders the small Markdown subset members write posts in to safe HTML.
///
/// Supported: paragraphs separated by blank lines, line breaks inside a paragraph as `<br>`,
/// `**bold**`, `*italic*` and `_italic_`, `` `code` ``, fenced code blocks (```` ``` ````), bullet
/// lists (`- `, `* `), numbered lists (`1. `), block quotes (`> `), headings `#` to `###` (rendered as
/// `h3` to `h5`, since pages own `h1` and `h2`; deeper headings also become `h5`), links
/// `[text](https://…)` and bare `http(s)://` URLs. `@name@host` mentions stay text.
///
/// Safety rules:
/// - All text is escaped; HTML in the source is shown as typed, never interpreted, and character
///   references such as `&amp;` are shown literally too (what you type is what you see).
/// - Links go through ``LinkPolicy``: only absolute `http`, `https` and `mailto` URLs. A link with
///   any other target, relative ones included, is not a link: its source is shown as plain text.
///   Every link gets `rel="nofollow noopener noreferrer"`.
/// - The output uses only elements and attributes that ``HTMLSanitizer`` keeps, so sanitising a
///   rendered post changes nothing.
///
/// Cost is linear in the input: emphasis, code spans and links are matched with stacks and
/// precomputed tables, never by backtracking. Sources longer than ``maxSourceBytes`` are shown as
/// escaped, truncated text followed by a marker; quotes and lists nested deeper than ``maxNesting``
/// are shown as text.
public enum Markdown {
    /// Largest source rendered as Markdown, in UTF-8 bytes.
    public static let maxSourceBytes = 65_536
    /// Deepest nesting of block quotes and lists; deeper markers are shown as text.
    public static let maxNesting = 8

    /// The text that follows a truncated source.
    public static let truncationMarker = "[Text truncated: longer than 65,536 bytes.]"

    /// Returns the HTML for `source`; blocks are separated by newlines.
    public static func render(_ source: String) -> String {
        if source.utf8.count > maxSourceBytes {
            return renderTruncated(source)
        }
        let scalars = InputScalars.normalized(source)
        var lines: [Line] = []
        var lineStart = 0
        for (index, scalar) in scalars.enumerated() where scalar == "\n" {
            lines.append(scalars[lineStart..<index])
            lineStart = index + 1
        }
        lines.append(scalars[lineStart..<scalars.count])
        let blocks = BlockParser.parse(lines, depth: 0)
        return blocks.map { $0.html(tight: false) }.joined(separator: "\n")
    }

    /// Escaped text of the longest prefix that fits, cut between grapheme clusters.
    private static func renderTruncated(_ source: String) -> String {
        var bytes = 0
        var end = source.startIndex
        for index in source.indices {
            let next = source.index(after: index)
            bytes += source.utf8.distance(from: index, to: next)
            if bytes > maxSourceBytes { break }
            end = next
        }
        var output = "<p>"
        for scalar in InputScalars.normalized(String(source[..<end])) {
            if scalar == "\n" {
                output += "<br>"
            } else {
                HTMLEscape.append(scalar, to: &output)
            }
        }
        output += "</p>\n<p><em>" + HTMLEscape.text(truncationMarker) + "</em></p>"
        return output
    }
}

typealias Line = ArraySlice<Unicode.Scalar>

/// A parsed block; lists and quotes hold their children.
indirect enum Block {
    case paragraph([Unicode.Scalar])
    case heading(level: Int, [Unicode.Scalar])
    case code([Unicode.Scalar])
    case quote([Block])
    case list(ordered: Bool, start: Int, tight: Bool, items: [[Block]])

    /// HTML for the block; in a tight list item a paragraph is rendered without `<p>`.
    func html(tight: Bool) -> String {
        switch self {
        case let .paragraph(text):
            let inline = InlineParser.render(text)
            return tight ? inline : "<p>" + inline + "</p>"
        case let .heading(level, text):
            let name = "h\(min(level, 3) + 2)"
            return "<" + name + ">" + InlineParser.render(text) + "</" + name + ">"
        case let .code(text):
            var output = "<pre><code>"
            HTMLEscape.append(text, to: &output)
            return output + "</code></pre>"
        case let .quote(children):
            let inner = children.map { $0.html(tight: false) }.joined(separator: "\n")
            return inner.isEmpty ? "<blockquote></blockquote>" : "<blockquote>\n" + inner + "\n</blockquote>"
        case let .list(ordered, start, isTight, items):
            let name = ordered ? "ol" : "ul"
            var output = "<" + name + (ordered && start != 1 ? " start=\"\(start)\"" : "") + ">\n"
            for item in items {
                output += "<li>" + item.map { $0.html(tight: isTight) }.joined(separator: "\n") + "</li>\n"
            }
            return output + "</" + name + ">"
        }
    }
}

/// Splits lines into blocks; containers (quotes, list items) are parsed recursively on their
/// de-indented lines, at most ``Markdown/maxNesting`` levels deep, so the work is linear.
enum BlockParser {
    private enum Start {
        case fence(ticks: Int, indent: Int)
        case heading(level: Int, content: Line)
        case quote
        case listItem(ListMarker)
    }

    struct ListMarker {
        var ordered: Bool
        var marker: Unicode.Scalar  // '-', '*', '.' or ')'
        var number: Int
        var contentColumn: Int
        var isEmpty: Bool
        /// The item's first-line content, after the marker and its padding.
        var content: Line
    }

    static func parse(_ lines: [Line], depth: Int) -> [Block] {
        var blocks: [Block] = []
        var index = 0
        while index < lines.count {
            let line = lines[index]
            if isBlank(line) {
                index += 1
                continue
            }
            switch start(of: line, depth: depth) {
            case let .fence(ticks, indent)?:
                index = parseFence(lines, from: index, ticks: ticks, indent: indent, into: &blocks)
            case let .heading(level, content)?:
                blocks.append(.heading(level: level, Array(content)))
                index += 1
            case .quote?:
                index = parseQuote(lines, from: index, depth: depth, into: &blocks)
            case let .listItem(marker)?:
                index = parseList(lines, from: index, first: marker, depth: depth, into: &blocks)
            case nil:
                index = parseParagraph(lines, from: index, depth: depth, into: &blocks)
            }
        }
        return blocks
    }

    private static func parseParagraph(_ lines: [Line], from first: Int, depth: Int, into blocks: inout [Block]) -> Int {
        var text: [Unicode.Scalar] = []
        var index = first
        while index < lines.count {
            let line = lines[index]
            if isBlank(line) || (index > first && interrupts(line, depth: depth)) { break }
            if index > first { text.append("\n") }
            text.append(contentsOf: trimmed(line))
            index += 1
        }
        blocks.append(.paragraph(text))
        return index
    }

    private static func parseFence(
        _ lines: [Line], from first: Int, ticks: Int, indent: Int, into blocks: inout [Block]
    ) -> Int {
        var code: [Unicode.Scalar] = []
        var index = first + 1
        while index < lines.count {
            let line = lines[index]
            let body = trimmedLeading(line)
            let run = body.prefix { $0 == "`" }.count
            if run >= ticks, body.dropFirst(run).allSatisfy({ $0 == " " || $0 == "\t" }) {
                index += 1
                break
            }
            code.append(contentsOf: strip(columns: indent, from: line))
            code.append("\n")
            index += 1
        }
        blocks.append(.code(code))
        return index
    }

    private static func parseQuote(_ lines: [Line], from first: Int, depth: Int, into blocks: inout [Block]) -> Int {
        var inner: [Line] = []
        var index = first
        while index < lines.count {
            let line = lines[index]
            let body = trimmedLeading(line)
            if body.first == ">" {
                var rest = body.dropFirst()
                if rest.first == " " || rest.first == "\t" { rest = rest.dropFirst() }
                inner.append(rest)
            } else if !isBlank(line), let last = inner.last, !isBlank(last), !interrupts(line, depth: depth) {
                // Lazy continuation of a quoted paragraph.
                inner.append(line)
            } else {
                break
            }
            index += 1
        }
        blocks.append(.quote(parse(inner, depth: depth + 1)))
        return index
    }

    private static func parseList(
        _ lines: [Line], from first: Int, first marker: ListMarker, depth: Int, into blocks: inout [Block]
    ) -> Int {
        var items: [[Line]] = []
        var current: [Line] = [marker.content]
        var column = marker.contentColumn
        var pendingBlanks: [Line] = []
        var loose = false
        var itemHasInnerBlank: [Bool] = []
        var currentHasInnerBlank = false
        var currentHasContent = !marker.isEmpty
        var index = first + 1
        while index < lines.count {
            let line = lines[index]
            if isBlank(line) {
                pendingBlanks.append(line[line.endIndex...])
                index += 1
                continue
            }
            let (indent, _) = indentation(of: line)
            if indent >= column {
                if !pendingBlanks.isEmpty, currentHasContent { currentHasInnerBlank = true }
                current.append(contentsOf: pendingBlanks)
                pendingBlanks.removeAll()
                current.append(strip(columns: column, from: line))
                currentHasContent = true
            } else if case let .listItem(next)? = start(of: line, depth: depth),
                next.ordered == marker.ordered, next.marker == marker.marker
            {
                if !pendingBlanks.isEmpty { loose = true }
                pendingBlanks.removeAll()
                items.append(current)
                itemHasInnerBlank.append(currentHasInnerBlank)
                current = [next.content]
                currentHasInnerBlank = false
                currentHasContent = !next.isEmpty
                column = next.contentColumn
            } else if pendingBlanks.isEmpty, let last = current.last, !isBlank(last), !interrupts(line, depth: depth) {
                current.append(trimmedLeading(line))
            } else {
                break
            }
            index += 1
        }
        items.append(current)
        itemHasInnerBlank.append(currentHasInnerBlank)
        let parsed = items.map { parse($0, depth: depth + 1) }
        for (blocks, innerBlank) in zip(parsed, itemHasInnerBlank) where innerBlank && blocks.count > 1 {
            loose = true
        }
        blocks.append(.list(ordered: marker.ordered, start: marker.number, tight: !loose, items: parsed))
        // Blank lines after the list were seen but belong to no item.
        return index
    }

    /// Whether `line` starts a block that ends a paragraph (an ordered list only when it starts at 1,
    /// and never an empty list item, so that ordinary sentences are not turned into lists).
    private static func interrupts(_ line: Line, depth: Int) -> Bool {
        switch start(of: line, depth: depth) {
        case nil: return false
        case let .listItem(marker)?: return !marker.isEmpty && (!marker.ordered || marker.number == 1)
        default: return true
        }
    }

    private static func start(of line: Line, depth: Int) -> Start? {
        let (indent, bodyStart) = indentation(of: line)
        let body = line[bodyStart...]
        guard let first = body.first else { return nil }
        if first == "`" {
            let ticks = body.prefix { $0 == "`" }.count
            if ticks >= 3, !body.dropFirst(ticks).contains("`") { return .fence(ticks: ticks, indent: indent) }
            return nil
        }
        if first == "#" {
            let level = body.prefix { $0 == "#" }.count
            let rest = body.dropFirst(level)
            guard level <= 6, rest.isEmpty || rest.first == " " || rest.first == "\t" else { return nil }
            return .heading(level: level, content: headingContent(rest))
        }
        guard depth < Markdown.maxNesting else { return nil }
        if first == ">" { return .quote }
        if first == "-" || first == "*" {
            return listItem(body.dropFirst(), indent: indent, markerWidth: 1, ordered: false, marker: first, number: 0)
        }
        if first >= "0" && first <= "9" {
            let digits = body.prefix { $0 >= "0" && $0 <= "9" }
            guard digits.count <= 9 else { return nil }
            let rest = body.dropFirst(digits.count)
            guard let delimiter = rest.first, delimiter == "." || delimiter == ")" else { return nil }
            let number = digits.reduce(0) { $0 * 10 + Int($1.value - 0x30) }
            return listItem(
                rest.dropFirst(), indent: indent, markerWidth: digits.count + 1, ordered: true, marker: delimiter,
                number: number)
        }
        return nil
    }

    private static func listItem(
        _ rest: Line, indent: Int, markerWidth: Int, ordered: Bool, marker: Unicode.Scalar, number: Int
    ) -> Start? {
        if rest.allSatisfy({ $0 == " " || $0 == "\t" }) {
            return .listItem(
                ListMarker(
                    ordered: ordered, marker: marker, number: number, contentColumn: indent + markerWidth + 1, isEmpty: true,
                    content: rest[rest.endIndex...]))
        }
        guard rest.first == " " || rest.first == "\t" else { return nil }
        let spaces = rest.prefix { $0 == " " }.count
        // More than four spaces after the marker: the content column is one past the marker.
        let padding = spaces >= 1 && spaces <= 4 ? spaces : 1
        return .listItem(
            ListMarker(
                ordered: ordered, marker: marker, number: number, contentColumn: indent + markerWidth + padding, isEmpty: false,
                content: rest.dropFirst(max(padding, 1))))
    }

    /// Heading text without surrounding spaces and without a closing run of `#`.
    private static func headingContent(_ rest: Line) -> Line {
        var content = trimmed(rest)
        let closing = content.reversed().prefix { $0 == "#" }.count
        if closing > 0 {
            let before = content.dropLast(closing)
            if before.isEmpty || before.last == " " || before.last == "\t" { content = trimmed(before) }
        }
        return content
    }

    // MARK: Whitespace helpers; a tab counts as advancing to the next multiple of four columns.

    static func isBlank(_ line: Line) -> Bool {
        line.allSatisfy { $0 == " " || $0 == "\t" }
    }

    static func indentation(of line: Line) -> (columns: Int, index: Int) {
        walkIndentation(of: line, upTo: .max)
    }

    static func strip(columns limit: Int, from line: Line) -> Line {
        line[walkIndentation(of: line, upTo: limit).index...]
    }

    /// Walks leading spaces and tabs until `limit` columns are covered or the text starts.
    private static func walkIndentation(of line: Line, upTo limit: Int) -> (columns: Int, index: Int) {
        var columns = 0
        var index = line.startIndex
        while index < line.endIndex, columns < limit {
            if line[index] == " " {
                columns += 1
            } else if line[index] == "\t" {
                columns += 4 - columns % 4
            } else {
                break
            }
            index += 1
        }
        return (columns, index)
    }

    static func trimmedLeading(_ line: Line) -> Line {
        line.drop { $0 == " " || $0 == "\t" }
    }

    static func trimmed(_ line: Line) -> Line {
        var result = trimmedLeading(line)
        while let last = result.last, last == " " || last == "\t" { result = result.dropLast() }
        return result
    }
}
