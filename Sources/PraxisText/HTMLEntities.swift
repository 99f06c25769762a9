/// Decodes HTML character references (`&amp;`, `&#106;`, `&#x6A;`) the way a browser does.
///
/// Numeric references follow the HTML standard: the semicolon is optional, zero, surrogates and
/// values beyond U+10FFFF become U+FFFD, and the C1 range maps through Windows-1252. Named references
/// cover the entities that turn up in posts and in filter-evasion payloads (`&colon;`, `&Tab;`,
/// `&NewLine;` …), not the full table of 2,231 names; an unknown name stays as literal text, which
/// is harmless because every decoded string is escaped again on output.
enum HTMLEntities {
    /// Decodes the reference that starts at `start` (which holds `&`), returning the replacement
    /// and the index just past the reference, or `nil` when the text is not a reference.
    ///
    /// - Parameter inAttribute: applies the attribute-value rule that a legacy name without a
    ///   semicolon followed by a letter, digit or `=` is not a reference (`?a=1&copy=2`).
    static func decode(
        _ scalars: [Unicode.Scalar], at start: Int, inAttribute: Bool
    ) -> (replacement: String, end: Int)? {
        var index = start + 1
        guard index < scalars.count else { return nil }
        if scalars[index] == "#" {
            return decodeNumeric(scalars, from: index + 1)
        }
        var name = ""
        while index < scalars.count, name.unicodeScalars.count < 32, isASCIIAlphanumeric(scalars[index]) {
            name.unicodeScalars.append(scalars[index])
            index += 1
        }
        guard !name.isEmpty else { return nil }
        if index < scalars.count, scalars[index] == ";", let value = named[name] {
            return (value, index + 1)
        }
        // Legacy references without a semicolon: the longest known prefix wins.
        for length in stride(from: min(name.unicodeScalars.count, 6), through: 2, by: -1) {
            let prefix = String(String.UnicodeScalarView(name.unicodeScalars.prefix(length)))
            guard legacy.contains(prefix), let value = named[prefix] else { continue }
            let end = start + 1 + length
            if inAttribute, end < scalars.count, isASCIIAlphanumeric(scalars[end]) || scalars[end] == "=" {
                return nil
            }
            return (value, end)
        }
        return nil
    }

    private static func decodeNumeric(_ scalars: [Unicode.Scalar], from start: Int) -> (replacement: String, end: Int)? {
        var index = start
        var hex = false
        if index < scalars.count, scalars[index] == "x" || scalars[index] == "X" {
            hex = true
            index += 1
        }
        var value: UInt32 = 0
        var digits = 0
        while index < scalars.count {
            let scalar = scalars[index]
            let digit: UInt32
            if scalar >= "0" && scalar <= "9" {
                digit = scalar.value - 0x30
            } else if hex, scalar >= "a" && scalar <= "f" {
                digit = scalar.value - 0x61 + 10
            } else if hex, scalar >= "A" && scalar <= "F" {
                digit = scalar.value - 0x41 + 10
            } else {
                break
            }
            // Saturate rather than overflow: anything past U+10FFFF is replaced anyway.
            value = min(value * (hex ? 16 : 10) + digit, 0x11_0000)
            digits += 1
            index += 1
        }
        guard digits > 0 else { return nil }
        if index < scalars.count, scalars[index] == ";" { index += 1 }
        return (String(characterForNumericReference(value)), index)
    }

    private static func characterForNumericReference(_ value: UInt32) -> Character {
        if value >= 0x80 && value <= 0x9F, let mapped = windows1252[value] {
            return Character(mapped)
        }
        guard value != 0, let scalar = Unicode.Scalar(value) else { return "\u{FFFD}" }
        return Character(scalar)
    }

    @inline(__always)
    static func isASCIIAlphanumeric(_ scalar: Unicode.Scalar) -> Bool {
        (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
    }

    /// Names browsers still decode without a trailing semicolon (a subset of the standard's list).
    private static let legacy: Set<String> = [
        "amp", "AMP", "lt", "LT", "gt", "GT", "quot", "QUOT", "nbsp", "copy", "COPY", "reg", "REG",
        "shy", "deg", "para", "sect", "middot", "laquo", "raquo", "eacute", "egrave", "agrave", "ccedil",
        "uuml", "ouml", "auml", "szlig",
    ]

    private static let named: [String: String] = [
        "amp": "&", "AMP": "&", "lt": "<", "LT": "<", "gt": ">", "GT": ">", "quot": "\"", "QUOT": "\"",
        "apos": "'", "nbsp": "\u{A0}", "copy": "©", "COPY": "©", "reg": "®", "REG": "®", "trade": "™",
        "shy": "\u{AD}", "deg": "°", "para": "¶", "sect": "§", "middot": "·", "laquo": "«", "raquo": "»",
        "lsquo": "‘", "rsquo": "’", "sbquo": "‚", "ldquo": "“", "rdquo": "”", "bdquo": "„",
        "ndash": "–", "mdash": "—", "hellip": "…", "bull": "•", "euro": "€", "pound": "£", "yen": "¥",
        "cent": "¢", "times": "×", "divide": "÷", "plusmn": "±", "frac12": "½", "frac14": "¼",
        "frac34": "¾", "sup2": "²", "sup3": "³", "micro": "µ", "iexcl": "¡", "iquest": "¿",
        "eacute": "é", "Eacute": "É", "egrave": "è", "Egrave": "È", "ecirc": "ê", "euml": "ë",
        "agrave": "à", "Agrave": "À", "aacute": "á", "acirc": "â", "auml": "ä", "Auml": "Ä",
        "aring": "å", "ccedil": "ç", "Ccedil": "Ç", "iacute": "í", "icirc": "î", "iuml": "ï",
        "ntilde": "ñ", "Ntilde": "Ñ", "oacute": "ó", "ocirc": "ô", "ouml": "ö", "Ouml": "Ö",
        "oslash": "ø", "uacute": "ú", "ugrave": "ù", "ucirc": "û", "uuml": "ü", "Uuml": "Ü",
        "szlig": "ß", "oelig": "œ", "aelig": "æ",
        "zwj": "\u{200D}", "zwnj": "\u{200C}", "lrm": "\u{200E}", "rlm": "\u{200F}",
        "ensp": "\u{2002}", "emsp": "\u{2003}", "thinsp": "\u{2009}",
        // Punctuation names used to smuggle schemes and markup past naive filters.
        "colon": ":", "Tab": "\t", "NewLine": "\n", "lpar": "(", "rpar": ")", "sol": "/", "bsol": "\\",
        "period": ".", "comma": ",", "excl": "!", "num": "#", "quest": "?", "equals": "=",
        "semi": ";", "lsqb": "[", "rsqb": "]", "lbrack": "[", "rbrack": "]", "lcub": "{", "rcub": "}",
        "grave": "`", "Hat": "^", "percnt": "%", "plus": "+", "ast": "*", "commat": "@", "dollar": "$",
        "lowbar": "_", "verbar": "|", "vert": "|",
    ]

    /// The HTML standard's replacements for numeric references in the C1 range.
    private static let windows1252: [UInt32: Unicode.Scalar] = [
        0x80: "\u{20AC}", 0x82: "\u{201A}", 0x83: "\u{0192}", 0x84: "\u{201E}", 0x85: "\u{2026}",
        0x86: "\u{2020}", 0x87: "\u{2021}", 0x88: "\u{02C6}", 0x89: "\u{2030}", 0x8A: "\u{0160}",
        0x8B: "\u{2039}", 0x8C: "\u{0152}", 0x8E: "\u{017D}", 0x91: "\u{2018}", 0x92: "\u{2019}",
        0x93: "\u{201C}", 0x94: "\u{201D}", 0x95: "\u{2022}", 0x96: "\u{2013}", 0x97: "\u{2014}",
        0x98: "\u{02DC}", 0x99: "\u{2122}", 0x9A: "\u{0161}", 0x9B: "\u{203A}", 0x9C: "\u{0153}",
        0x9E: "\u{017E}", 0x9F: "\u{0178}",
    ]
}
