/// PEM armour (RFC 7468): `-----BEGIN LABEL-----`, base64 lines, `-----END LABEL-----`.
///
/// Parsing is done here rather than with `PEM_read_bio_*` so that a label is always checked before
/// any DER reaches OpenSSL, and so that encrypted PEM (which would make OpenSSL prompt on the
/// terminal for a passphrase) is refused with a clear error instead.
public enum PEM {
    /// One decoded PEM block.
    public struct Block: Sendable, Equatable {
        /// The label between `BEGIN ` and the dashes, e.g. `PRIVATE KEY`.
        public var label: String
        /// The DER bytes.
        public var der: [UInt8]

        public init(label: String, der: [UInt8]) {
            self.label = label
            self.der = der
        }
    }

    /// Decodes the first PEM block in `text`; text before and after it is ignored, as RFC 7468 allows.
    /// - Throws: ``CryptoError`` (`invalidEncoding`) when there is no complete block, the END label
    ///   differs, the block has headers (encrypted PEM) or the body is not base64.
    public static func decode(_ text: String) throws -> Block {
        let lines = text.split(omittingEmptySubsequences: false, whereSeparator: { $0.isNewline })
            .map { $0.trimmingWhitespace() }
        guard let beginIndex = lines.firstIndex(where: { $0.hasPrefix("-----BEGIN ") }) else {
            throw CryptoError(.invalidEncoding, "PEM: no '-----BEGIN' line found")
        }
        let beginLine = lines[beginIndex]
        guard beginLine.hasSuffix("-----"), beginLine.count > 16 else {
            throw CryptoError(.invalidEncoding, "PEM: malformed BEGIN line")
        }
        let label = String(beginLine.dropFirst(11).dropLast(5))
        let endLine = "-----END \(label)-----"
        guard let endIndex = lines[(beginIndex + 1)...].firstIndex(where: { $0.hasPrefix("-----END") }) else {
            throw CryptoError(.invalidEncoding, "PEM: no END line for '\(label)'")
        }
        guard lines[endIndex] == endLine else {
            throw CryptoError(.invalidEncoding, "PEM: BEGIN '\(label)' is closed by '\(lines[endIndex])'")
        }
        var body: [UInt8] = []
        for line in lines[(beginIndex + 1)..<endIndex] {
            if line.contains(":") {
                throw CryptoError(.invalidEncoding, "PEM: headers are not supported (encrypted keys must be decrypted first)")
            }
            body.append(contentsOf: line.utf8)
        }
        defer { wipe(&body) }
        guard !body.isEmpty else { throw CryptoError(.invalidEncoding, "PEM: '\(label)' block is empty") }
        let der = try Base64.decode(body, table: Base64.standardTable, padding: .required, name: "PEM body")
        return Block(label: label, der: der)
    }

    /// Encodes DER as PEM with 64-character lines and a final newline.
    public static func encode(label: String, der: [UInt8]) -> String {
        let base64 = Array(Base64.encode(der).utf8)
        var out = "-----BEGIN \(label)-----\n"
        var index = 0
        while index < base64.count {
            let end = min(index + 64, base64.count)
            out += String(decoding: base64[index..<end], as: UTF8.self)
            out += "\n"
            index = end
        }
        out += "-----END \(label)-----\n"
        return out
    }
}

extension Substring {
    /// Drops leading and trailing spaces and tabs (PEM pasted from documents is often indented).
    func trimmingWhitespace() -> String {
        var slice = self[...]
        while let first = slice.first, first == " " || first == "\t" { slice = slice.dropFirst() }
        while let last = slice.last, last == " " || last == "\t" { slice = slice.dropLast() }
        return String(slice)
    }
}
