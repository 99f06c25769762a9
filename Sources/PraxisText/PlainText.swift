/// Readable plain text from HTML or Markdown-rendered content, for search, notifications and
/// previews.
public enum PlainText {
    /// Returns the text a reader would see in `html`, with block boundaries as line breaks.
    ///
    /// Elements the sanitiser removes with their content (`script`, `style` …) contribute nothing.
    /// Runs of whitespace collapse to one space, except inside `pre`; `br` and list items start a
    /// new line, and paragraphs, headings, quotes and lists are separated by a blank line.
    public static func fromHTML(_ html: String) -> String {
        var builder = Builder()
        var tokenizer = HTMLTokenizer(html)
        while let token = tokenizer.next() {
            builder.consume(token)
        }
        return builder.finish()
    }

    /// Returns at most `limit` characters of `text` on one line, ending with "…" when shortened.
    ///
    /// Whitespace, newlines included, collapses to single spaces. A shortened excerpt ends at a word
    /// boundary when one falls in the last fifth of the room, and it never splits a grapheme
    /// cluster (an emoji with modifiers, a letter with combining accents), because it counts Swift
    /// `Character`s.
    public static func excerpt(_ text: String, limit: Int) -> String {
        guard limit > 0 else { return "" }
        var collapsed = ""
        var pendingSpace = false
        for character in text {
            if character.isWhitespace {
                pendingSpace = !collapsed.isEmpty
                continue
            }
            if pendingSpace {
                collapsed.append(" ")
                pendingSpace = false
            }
            collapsed.append(character)
        }
        guard collapsed.count > limit else { return collapsed }
        guard limit > 1 else { return "…" }
        var cut = Array(collapsed.prefix(limit - 1))
        let nextIsSpace = collapsed.dropFirst(limit - 1).first == " "
        if !nextIsSpace, let space = cut.lastIndex(of: " "), space >= (limit - 1) * 4 / 5 {
            cut.removeSubrange(space...)
        }
        while let last = cut.last, last == " " || last == "," || last == ";" || last == ":" { cut.removeLast() }
        return String(cut) + "…"
    }

    private struct Builder {
        var output = ""
        var pendingBreak = 0  // 0 none, 1 newline, 2 blank line
        var pendingSpace = false
        var preDepth = 0
        var dropper = DroppedContent()

        private static let paragraphLike: Set<String> = [
            "p", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "ul", "ol", "pre", "table", "figure", "hr",
        ]
        private static let lineLike: Set<String> = ["li", "div", "tr", "dt", "dd", "section", "article", "header", "footer"]

        mutating func consume(_ token: HTMLToken) {
            if dropper.drops(token) { return }
            switch token {
            case let .text(text):
                append(text)
            case let .startTag(name, _, _):
                if name == "pre" { preDepth += 1 }
                boundary(for: name)
            case let .endTag(name):
                if name == "pre", preDepth > 0 { preDepth -= 1 }
                boundary(for: name)
            }
        }

        mutating func boundary(for name: String) {
            if name == "br" {
                requestBreak(1, force: true)
            } else if Self.paragraphLike.contains(name) {
                requestBreak(2)
            } else if Self.lineLike.contains(name) {
                requestBreak(1)
            }
        }

        mutating func requestBreak(_ kind: Int, force: Bool = false) {
            pendingSpace = false
            if force {
                // Consecutive <br> each count, up to a blank line.
                pendingBreak = min(pendingBreak + 1, 2)
            } else {
                pendingBreak = max(pendingBreak, kind)
            }
        }

        mutating func append(_ text: String) {
            for scalar in text.unicodeScalars {
                let isSpace = scalar == " " || scalar == "\t" || scalar == "\n" || scalar == "\u{0C}"
                if preDepth > 0 {
                    flushPending()
                    output.unicodeScalars.append(scalar)
                    continue
                }
                if isSpace {
                    if !output.isEmpty && pendingBreak == 0 { pendingSpace = true }
                    continue
                }
                flushPending()
                output.unicodeScalars.append(scalar)
            }
        }

        mutating func flushPending() {
            if pendingBreak > 0 {
                if !output.isEmpty { output += pendingBreak == 2 ? "\n\n" : "\n" }
                pendingBreak = 0
            } else if pendingSpace {
                output += " "
            }
            pendingSpace = false
        }

        func finish() -> String {
            var result = Substring(output).drop { $0.isWhitespace }
            while let last = result.last, last.isWhitespace { result = result.dropLast() }
            return String(result)
        }
    }
}
