/// Rebuilds HTML received from other servers from an allowlist, so nothing in it can run.
///
/// Remote nodes (Praxis peers, Mastodon and other fediverse servers) send post content as HTML.
/// The sanitiser never passes input through: it tokenizes it (``HTMLTokenizer``) and writes a new
/// document containing only
///
/// - the elements `p br strong b em i code pre blockquote ul ol li a h3 h4 h5 span`;
/// - no attributes, except `href` on `a` when ``LinkPolicy`` accepts it (then `rel` is forced to
///   ``LinkPolicy/rel``) and a numeric `start` on `ol`;
/// - text, with character references decoded and the result escaped again.
///
/// `script`, `style`, `iframe`, `object`, `svg`, `math`, `template`, `noscript`, `textarea`,
/// `title` and similar elements are removed with everything inside them. Any other element (`div`,
/// `img`, `body` …) is removed but its text is kept. An `a` whose link is refused becomes its text.
///
/// The output is well formed: every open element is closed, in order, and a few of the browser's
/// implicit-closing rules are applied (a new block closes an open `p`, a new `li` closes the previous
/// one, an `a` never nests) so that the result means the same to a browser as to this code. Nesting
/// deeper than ``maxDepth`` keeps its text but loses the extra tags. Sanitising twice gives the same
/// result as sanitising once.
public enum HTMLSanitizer {
    /// The deepest element nesting kept; deeper tags are dropped and their text kept.
    public static let maxDepth = 32

    /// Returns a safe, well-formed HTML fragment with the allowed content of `html`.
    public static func sanitize(_ html: String) -> String {
        var builder = Builder()
        var tokenizer = HTMLTokenizer(html)
        while let token = tokenizer.next() {
            builder.consume(token)
        }
        builder.closeAll()
        return builder.output
    }

    static let allowedElements: Set<String> = [
        "p", "br", "strong", "b", "em", "i", "code", "pre", "blockquote", "ul", "ol", "li", "a", "h3", "h4",
        "h5", "span",
    ]

    /// Elements removed together with their content.
    static let droppedWithContent: Set<String> = [
        "script", "style", "iframe", "frame", "frameset", "object", "embed", "applet", "svg", "math",
        "template", "noscript", "noembed", "noframes", "textarea", "title", "xmp", "plaintext", "select",
        "head", "audio", "video", "canvas", "datalist", "map", "portal", "slot",
    ]

    /// Void elements never have content, so they never start a dropped region.
    static let voidElements: Set<String> = [
        "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "param", "source",
        "track", "wbr", "keygen", "frame", "image",
    ]

    /// Elements that close an open `p` when they start, as in the HTML standard.
    private static let closesParagraph: Set<String> = ["p", "ul", "ol", "blockquote", "pre", "h3", "h4", "h5"]
    /// Elements that bound the search for an open `p` or `li` to close.
    private static let blockBoundaries: Set<String> = ["blockquote", "ul", "ol", "li"]

    private struct Builder {
        var output = ""
        var stack: [String] = []
        var dropper = DroppedContent()

        mutating func consume(_ token: HTMLToken) {
            if dropper.drops(token) { return }
            switch token {
            case let .text(text):
                HTMLEscape.append(text.unicodeScalars, to: &output)
            case let .startTag(name, attributes, selfClosing):
                start(name, attributes: attributes, selfClosing: selfClosing)
            case let .endTag(name):
                end(name)
            }
        }

        mutating func start(_ name: String, attributes: [(name: String, value: String)], selfClosing: Bool) {
            guard HTMLSanitizer.allowedElements.contains(name) else { return }
            if name == "br" {
                output += "<br>"
                return
            }
            var attributeText = ""
            if name == "a" {
                guard let href = attributes.first(where: { $0.name == "href" }).flatMap({ LinkPolicy.safeHref($0.value) })
                else { return }
                // Links never nest: a new one ends the open one, as in browsers.
                if let open = stack.lastIndex(of: "a") { close(downTo: open) }
                attributeText = " href=\"" + HTMLEscape.text(href) + "\" rel=\"" + LinkPolicy.rel + "\""
            } else if name == "ol", let start = attributes.first(where: { $0.name == "start" })?.value,
                !start.isEmpty, start.unicodeScalars.count <= 9, start.unicodeScalars.allSatisfy({ $0 >= "0" && $0 <= "9" })
            {
                attributeText = " start=\"" + start + "\""
            }
            if HTMLSanitizer.closesParagraph.contains(name), let open = openIndex(of: "p") {
                close(downTo: open)
            }
            if name == "li", let open = openIndex(of: "li") {
                close(downTo: open)
            }
            if name == "h3" || name == "h4" || name == "h5", let last = stack.last, last == "h3" || last == "h4" || last == "h5" {
                close(downTo: stack.count - 1)
            }
            guard stack.count < HTMLSanitizer.maxDepth else { return }
            stack.append(name)
            output += "<" + name + attributeText + ">"
        }

        /// Index of an open `name` above the nearest list or quote boundary (a `p` in an outer
        /// quote is not closed by a `p` inside the quote).
        func openIndex(of name: String) -> Int? {
            for index in stack.indices.reversed() {
                if stack[index] == name { return index }
                if HTMLSanitizer.blockBoundaries.contains(stack[index]) { return nil }
            }
            return nil
        }

        mutating func end(_ name: String) {
            if name == "br" {
                output += "<br>"
                return
            }
            if let open = stack.lastIndex(of: name) { close(downTo: open) }
        }

        mutating func close(downTo index: Int) {
            while stack.count > index, let name = stack.popLast() {
                output += "</" + name + ">"
            }
        }

        mutating func closeAll() {
            close(downTo: 0)
        }
    }
}

/// Follows the elements removed together with their content (``HTMLSanitizer/droppedWithContent``).
///
/// From such a start tag to its matching end tag every token is dropped; nested elements of the
/// same name are counted so `<svg><svg></svg>x</svg>` drops `x` too. Void elements and self-closing
/// `svg`/`math` have no content. An element never closed drops the rest of the input.
struct DroppedContent {
    private var open: (name: String, depth: Int)?

    /// Returns true when `token` is, or is inside, removed content.
    mutating func drops(_ token: HTMLToken) -> Bool {
        if let (name, depth) = open {
            switch token {
            case let .startTag(tag, _, selfClosing) where tag == name && !selfClosing:
                open = (name, depth + 1)
            case let .endTag(tag) where tag == name:
                open = depth > 1 ? (name, depth - 1) : nil
            default:
                break
            }
            return true
        }
        guard case let .startTag(name, _, selfClosing) = token, HTMLSanitizer.droppedWithContent.contains(name) else {
            return false
        }
        let foreignSelfClosing = selfClosing && (name == "svg" || name == "math")
        if !HTMLSanitizer.voidElements.contains(name) && !foreignSelfClosing {
            open = (name, 1)
        }
        return true
    }
}
