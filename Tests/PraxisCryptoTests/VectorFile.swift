import Foundation
import Testing

/// Reads the published vector files (markdown, copied into the test bundle under `Vectors/`).
struct VectorFile {
    let text: String

    init(_ name: String) throws {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "md", subdirectory: "Vectors"),
            "vector file \(name).md missing from the test bundle")
        text = try String(contentsOf: url, encoding: .utf8)
    }

    /// The body of the `index`-th fenced block (``` or ~~~) after the first line containing `marker`,
    /// exactly as bytes between the fences (lines joined with LF, no trailing LF).
    func block(after marker: String, index: Int = 0) throws -> String {
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains(marker) }, "marker '\(marker)' not found")
        var found = -1
        var cursor = start + 1
        while cursor < lines.count {
            let line = lines[cursor]
            if line.hasPrefix("```") || line.hasPrefix("~~~") {
                let fence = String(line.prefix(3))
                var body: [String] = []
                cursor += 1
                while cursor < lines.count, !lines[cursor].hasPrefix(fence) {
                    body.append(lines[cursor])
                    cursor += 1
                }
                found += 1
                if found == index { return body.joined(separator: "\n") }
            }
            cursor += 1
        }
        Issue.record("block \(index) after '\(marker)' not found")
        throw VectorError.missing(marker)
    }

    /// The first line after `marker` that starts with `prefix` (leading spaces ignored).
    func line(after marker: String, startingWith prefix: String) throws -> String {
        let lines = text.components(separatedBy: "\n")
        let start = try #require(lines.firstIndex { $0.contains(marker) }, "marker '\(marker)' not found")
        let line = try #require(
            lines[start...].first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(prefix) },
            "no line starting with '\(prefix)' after '\(marker)'")
        return line.trimmingCharacters(in: .whitespaces)
    }

    /// The PEM block with `label` that follows `marker` (indentation kept; the PEM parser ignores it).
    func pem(_ label: String, after marker: String = "") throws -> String {
        let from = marker.isEmpty ? text.startIndex : try #require(text.range(of: marker), "marker '\(marker)' not found").upperBound
        let begin = try #require(text.range(of: "-----BEGIN \(label)-----", range: from..<text.endIndex), "no \(label) PEM")
        let end = try #require(text.range(of: "-----END \(label)-----", range: begin.upperBound..<text.endIndex), "no END \(label)")
        return String(text[begin.lowerBound..<end.upperBound])
    }
}

enum VectorError: Error {
    case missing(String)
}

/// RFC 8792 single-backslash unwrapping: a line ending in `\` continues on the next line, whose
/// leading spaces are dropped. The `NOTE:` line and the blank line after it are removed first.
func unwrapRFC8792(_ block: String) -> String {
    var lines = block.components(separatedBy: "\n")
    if let first = lines.first, first.hasPrefix("NOTE: '\\' line wrapping") {
        lines.removeFirst()
        if lines.first?.isEmpty == true { lines.removeFirst() }
    }
    var out: [String] = []
    var pending: String?
    for line in lines {
        let piece = pending == nil ? line : String(line.drop(while: { $0 == " " }))
        let joined = (pending ?? "") + piece
        if joined.hasSuffix("\\") {
            pending = String(joined.dropLast())
        } else {
            out.append(joined)
            pending = nil
        }
    }
    if let pending { out.append(pending) }
    return out.joined(separator: "\n")
}

/// The byte-sequence value of `label` in an RFC 9421 `Signature:` line: `label=:BASE64:`.
func signatureValue(_ line: String, label: String) throws -> String {
    let start = try #require(line.range(of: "\(label)=:"), "label \(label) not in '\(line)'")
    let rest = line[start.upperBound...]
    let end = try #require(rest.firstIndex(of: ":"), "unterminated byte sequence")
    return String(rest[..<end])
}

extension String {
    var bytes: [UInt8] { Array(utf8) }
}
