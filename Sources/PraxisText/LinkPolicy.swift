/// Decides which link targets may become an `href` in rendered or sanitised HTML.
///
/// Only absolute `http`, `https` and `mailto` URLs are allowed. The check works on the URL as a
/// browser will see it: leading and trailing spaces and control characters are trimmed and tabs and
/// newlines inside are removed (the WHATWG URL parser does the same, which is how `java\tscript:`
/// becomes `javascript:`), and the scheme is compared case-insensitively. Any other control
/// character, a scheme that is not plain ASCII, or no scheme at all refuses the link: relative links
/// are refused too, because a post shown on another node has no meaningful base URL.
///
/// Callers pass the URL after HTML character references are decoded (the sanitiser decodes
/// attribute values before asking), so `&#106;avascript:` is judged as `javascript:`.
public enum LinkPolicy {
    /// The schemes a link may use.
    public static let allowedSchemes: Set<String> = ["http", "https", "mailto"]

    /// The `rel` value forced onto every link Praxis renders from member or remote content.
    public static let rel = "nofollow noopener noreferrer"

    /// Returns the cleaned URL if it may be used as a link target, or `nil` if it must be shown as
    /// text.
    ///
    /// The result is the URL with surrounding whitespace and inner tabs and newlines removed; it is
    /// not yet escaped for HTML. Applying the function to its own result returns the same string.
    public static func safeHref(_ raw: String) -> String? {
        var scalars = Array(raw.unicodeScalars)
        // Trim leading and trailing C0 controls and spaces, as the URL parser does.
        while let first = scalars.first, first.value <= 0x20 { scalars.removeFirst() }
        while let last = scalars.last, last.value <= 0x20 { scalars.removeLast() }
        scalars.removeAll { $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard !scalars.isEmpty, scalars.count <= maxLength else { return nil }
        // Any remaining control character is refused outright: no legitimate link has one.
        for scalar in scalars where scalar.value < 0x20 || (scalar.value >= 0x7F && scalar.value <= 0x9F) {
            return nil
        }
        guard let colon = scalars.firstIndex(of: ":") else { return nil }
        var scheme = ""
        for (offset, scalar) in scalars[..<colon].enumerated() {
            let isLetter = (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
            let isSchemeCharacter = isLetter || (scalar >= "0" && scalar <= "9") || scalar == "+" || scalar == "-" || scalar == "."
            // A character outside the scheme grammar means the browser reads no scheme: relative.
            guard offset == 0 ? isLetter : isSchemeCharacter else { return nil }
            scheme.unicodeScalars.append(scalar.properties.lowercaseMapping.unicodeScalars.first ?? scalar)
        }
        guard allowedSchemes.contains(scheme) else { return nil }
        let rest = scalars[scalars.index(after: colon)...]
        if scheme == "mailto" {
            guard !rest.isEmpty, !rest.contains(" ") else { return nil }
        } else {
            // Require "//host": backslashes or a missing authority are accepted by browsers in
            // surprising ways, and nothing legitimate needs them.
            let authority = Array(rest)
            guard authority.count > 2, authority[0] == "/", authority[1] == "/" else { return nil }
            let host = authority[2]
            guard host != "/", host != "\\", host != "?", host != "#", host != " " else { return nil }
        }
        var result = ""
        result.unicodeScalars.append(contentsOf: scalars)
        return result
    }

    /// Longest URL accepted, in Unicode scalars; longer ones are shown as text.
    public static let maxLength = 4_096
}
