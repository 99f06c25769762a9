/// Escapes text for HTML element content and double-quoted attribute values.
///
/// Every piece of text Praxis writes into a page goes through here, whoever wrote it. The five
/// characters that can end a text run or an attribute value are replaced by character references;
/// all other characters, non-ASCII included, pass through unchanged.
public enum HTMLEscape {
    /// Returns `text` with `&`, `<`, `>`, `"` and `'` replaced by `&amp;`, `&lt;`, `&gt;`, `&quot;`
    /// and `&#39;`; safe inside element content and inside a quoted attribute value.
    public static func text(_ text: String) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        append(text.unicodeScalars, to: &output)
        return output
    }

    /// Appends escaped scalars to `output`; the building block the renderers share.
    static func append<S: Sequence>(_ scalars: S, to output: inout String) where S.Element == Unicode.Scalar {
        for scalar in scalars {
            append(scalar, to: &output)
        }
    }

    /// Appends one escaped scalar to `output`.
    @inline(__always)
    static func append(_ scalar: Unicode.Scalar, to output: inout String) {
        switch scalar {
        case "&": output += "&amp;"
        case "<": output += "&lt;"
        case ">": output += "&gt;"
        case "\"": output += "&quot;"
        case "'": output += "&#39;"
        default: output.unicodeScalars.append(scalar)
        }
    }
}

/// Input clean-up shared by the Markdown renderer and the HTML sanitiser.
enum InputScalars {
    /// Splits `text` into scalars with line endings normalised to `\n`, NUL replaced by U+FFFD and
    /// other control characters (except tab and newline) removed, as the HTML input stream does; a
    /// stray control character has no business in displayed text and can hide a scheme from a check.
    static func normalized(_ text: String) -> [Unicode.Scalar] {
        var result: [Unicode.Scalar] = []
        result.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for scalar in text.unicodeScalars {
            let value = scalar.value
            if value == 0x0D {
                result.append("\n")
                previousWasCR = true
                continue
            }
            defer { previousWasCR = false }
            if value == 0x0A {
                if !previousWasCR { result.append("\n") }
            } else if value == 0 {
                result.append("\u{FFFD}")
            } else if value == 0x09 || (value >= 0x20 && value != 0x7F) {
                result.append(scalar)
            }
        }
        return result
    }
}
