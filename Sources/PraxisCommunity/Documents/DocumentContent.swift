import Foundation

/// The file types a document library accepts, recognised by their content and by their name.
///
/// A file is accepted only when its bytes are of an allowlisted kind (magic numbers; for ZIP-based
/// formats the archive's own declaration; for text, valid UTF-8 without NUL bytes) **and** its
/// extension names that same kind. Everything a browser could run or render as active content —
/// HTML, SVG, XML, scripts, executables — is refused, whatever it is called.
public enum DocumentContent {
    /// One accepted kind of file.
    public struct Kind: Sendable, Equatable {
        public let mediaType: String
        public let extensions: [String]
    }

    public static let pdf = Kind(mediaType: "application/pdf", extensions: ["pdf"])
    public static let docx = Kind(
        mediaType: "application/vnd.openxmlformats-officedocument.wordprocessingml.document", extensions: ["docx"])
    public static let xlsx = Kind(
        mediaType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", extensions: ["xlsx"])
    public static let pptx = Kind(
        mediaType: "application/vnd.openxmlformats-officedocument.presentationml.presentation", extensions: ["pptx"])
    public static let odt = Kind(mediaType: "application/vnd.oasis.opendocument.text", extensions: ["odt"])
    public static let ods = Kind(mediaType: "application/vnd.oasis.opendocument.spreadsheet", extensions: ["ods"])
    public static let odp = Kind(mediaType: "application/vnd.oasis.opendocument.presentation", extensions: ["odp"])
    /// Legacy binary Office formats share one container (OLE2); the extension says which it is.
    public static let doc = Kind(mediaType: "application/msword", extensions: ["doc"])
    public static let xls = Kind(mediaType: "application/vnd.ms-excel", extensions: ["xls"])
    public static let ppt = Kind(mediaType: "application/vnd.ms-powerpoint", extensions: ["ppt"])
    public static let text = Kind(mediaType: "text/plain", extensions: ["txt", "text"])
    public static let csv = Kind(mediaType: "text/csv", extensions: ["csv"])
    public static let markdown = Kind(mediaType: "text/markdown", extensions: ["md", "markdown"])
    public static let png = Kind(mediaType: "image/png", extensions: ["png"])
    public static let jpeg = Kind(mediaType: "image/jpeg", extensions: ["jpg", "jpeg"])
    public static let gif = Kind(mediaType: "image/gif", extensions: ["gif"])
    public static let webp = Kind(mediaType: "image/webp", extensions: ["webp"])

    /// Every accepted kind.
    public static let allowed: [Kind] = [
        pdf, docx, xlsx, pptx, odt, ods, odp, doc, xls, ppt, text, csv, markdown, png, jpeg, gif, webp,
    ]

    /// Media types accepted from other nodes' `Document` objects.
    public static let allowedMediaTypes = Set(allowed.map(\.mediaType))

    /// Why a file was refused.
    public struct Refusal: Error, CustomStringConvertible, Sendable, Equatable {
        public let message: String
        public var description: String { message }
    }

    static let allowedNames = "PDF, Word, Excel, PowerPoint (docx, xlsx, pptx, doc, xls, ppt), OpenDocument (odt, ods, odp), "
        + "text, CSV, Markdown, PNG, JPEG, GIF or WebP"

    /// Recognises the file at `path`, offered under `filename`.
    /// - Returns: the kind of the file.
    /// - Throws: ``Refusal`` when the type is not allowed or the content does not match the name.
    public static func detect(path: String, filename: String) throws -> Kind {
        let ext = (filename as NSString).pathExtension.lowercased()
        guard !ext.isEmpty else {
            throw Refusal(message: "the file name \"\(filename)\" has no extension; upload a \(allowedNames) file")
        }
        guard let claimed = allowed.first(where: { $0.extensions.contains(ext) }) else {
            throw Refusal(message: "files of type .\(ext) are not accepted; upload a \(allowedNames) file")
        }
        guard let handle = FileHandle(forReadingAtPath: path) else {
            throw Refusal(message: "the uploaded file could not be read")
        }
        defer { try? handle.close() }
        let head = [UInt8]((try? handle.read(upToCount: 4096)) ?? Data())
        let detected = try sniff(head: head, handle: handle, claimed: claimed)
        guard detected == claimed else {
            throw Refusal(message: "\"\(filename)\" is named .\(ext) but its content is \(describe(detected)); "
                + "give the file the extension of what it is")
        }
        return detected
    }

    static func describe(_ kind: Kind) -> String {
        "\(kind.mediaType) (.\(kind.extensions[0]))"
    }

    /// What the bytes are. Text is recognised last, and only for files named as text.
    static func sniff(head: [UInt8], handle: FileHandle, claimed: Kind) throws -> Kind {
        func starts(_ magic: [UInt8], at offset: Int = 0) -> Bool {
            head.count >= offset + magic.count && Array(head[offset..<offset + magic.count]) == magic
        }
        if starts(Array("%PDF-".utf8)) { return pdf }
        if starts([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return png }
        if starts([0xFF, 0xD8, 0xFF]) { return jpeg }
        if starts(Array("GIF87a".utf8)) || starts(Array("GIF89a".utf8)) { return gif }
        if starts(Array("RIFF".utf8)) && starts(Array("WEBP".utf8), at: 8) { return webp }
        if starts([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1]) {
            // The OLE2 container does not say which Office program wrote it.
            return [doc, xls, ppt].contains(claimed) ? claimed : doc
        }
        if starts([0x50, 0x4B, 0x03, 0x04]) { return try zipKind(head: head, handle: handle) }
        if [text, csv, markdown].contains(claimed) {
            try checkText(head: head, handle: handle)
            return claimed
        }
        if starts([0x4D, 0x5A]) || starts([0x7F, 0x45, 0x4C, 0x46]) || starts(Array("#!".utf8)) {
            throw Refusal(message: "the file is a program; programs are never accepted")
        }
        throw Refusal(message: "the content is not a \(allowedNames) file")
    }

    // MARK: - ZIP-based formats

    /// OpenDocument puts an uncompressed `mimetype` entry first; OOXML is recognised by the part
    /// names in the archive's central directory.
    static func zipKind(head: [UInt8], handle: FileHandle) throws -> Kind {
        func u16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ bytes: [UInt8], _ at: Int) -> Int { u16(bytes, at) | u16(bytes, at + 2) << 16 }
        if head.count >= 30 {
            let method = u16(head, 8)
            let size = u32(head, 18)
            let nameLength = u16(head, 26)
            let extraLength = u16(head, 28)
            let nameEnd = 30 + nameLength
            if nameEnd <= head.count, String(decoding: head[30..<nameEnd], as: UTF8.self) == "mimetype" {
                let start = nameEnd + extraLength
                guard method == 0, size > 0, size <= 100, start + size <= head.count else {
                    throw Refusal(message: "the OpenDocument file's mimetype entry is malformed")
                }
                let declared = String(decoding: head[start..<start + size], as: UTF8.self)
                guard let kind = [odt, ods, odp].first(where: { $0.mediaType == declared }) else {
                    throw Refusal(message: "OpenDocument files of type \(declared.prefix(100)) are not accepted")
                }
                return kind
            }
        }
        let names = try centralDirectoryNames(handle: handle)
        guard names.contains("[Content_Types].xml") else {
            throw Refusal(message: "the file is a ZIP archive, not an office document; archives are not accepted")
        }
        if names.contains(where: { $0.lowercased().hasSuffix("vbaproject.bin") }) {
            throw Refusal(message: "documents with macros are not accepted; save the file without macros")
        }
        if names.contains("word/document.xml") { return docx }
        if names.contains("xl/workbook.xml") { return xlsx }
        if names.contains("ppt/presentation.xml") { return pptx }
        throw Refusal(message: "the file is an Office Open XML package of an unsupported kind")
    }

    /// Entry names from the ZIP central directory (found through the end-of-central-directory
    /// record in the last 64 KiB of the file).
    static func centralDirectoryNames(handle: FileHandle) throws -> [String] {
        func u16(_ bytes: [UInt8], _ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ bytes: [UInt8], _ at: Int) -> Int { u16(bytes, at) | u16(bytes, at + 2) << 16 }
        let broken = Refusal(message: "the file is not a complete ZIP-based office document")
        guard let end = try? handle.seekToEnd(), end >= 22 else { throw broken }
        let tailLength = min(Int(end), 65_536 + 22)
        try? handle.seek(toOffset: end - UInt64(tailLength))
        let tail = [UInt8]((try? handle.read(upToCount: tailLength)) ?? Data())
        guard tail.count >= 22 else { throw broken }
        var eocd: Int?
        var index = tail.count - 22
        while index >= 0 {
            if tail[index] == 0x50, tail[index + 1] == 0x4B, tail[index + 2] == 0x05, tail[index + 3] == 0x06 {
                eocd = index
                break
            }
            index -= 1
        }
        guard let eocd else { throw broken }
        let count = u16(tail, eocd + 10)
        let directorySize = u32(tail, eocd + 12)
        let directoryOffset = u32(tail, eocd + 16)
        guard directorySize <= 8 << 20, directoryOffset + directorySize <= Int(end) else { throw broken }
        try? handle.seek(toOffset: UInt64(directoryOffset))
        let directory = [UInt8]((try? handle.read(upToCount: directorySize)) ?? Data())
        guard directory.count == directorySize else { throw broken }
        var names: [String] = []
        var at = 0
        for _ in 0..<count {
            guard at + 46 <= directory.count, u32(directory, at) == 0x0201_4B50 else { throw broken }
            let nameLength = u16(directory, at + 28)
            let extra = u16(directory, at + 30)
            let comment = u16(directory, at + 32)
            guard at + 46 + nameLength <= directory.count else { throw broken }
            names.append(String(decoding: directory[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self))
            at += 46 + nameLength + extra + comment
        }
        return names
    }

    // MARK: - Text

    /// Text must be valid UTF-8 without NUL bytes all the way through, and must not be markup a
    /// browser would render (HTML, SVG, XML).
    static func checkText(head: [UInt8], handle: FileHandle) throws {
        var start = head[...]
        if start.starts(with: [0xEF, 0xBB, 0xBF]) { start = start.dropFirst(3) }
        let lead = String(decoding: start.prefix(256), as: UTF8.self)
            .trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
        for markup in ["<!doctype", "<html", "<svg", "<?xml", "<script", "<head", "<body", "<iframe"]
        where lead.hasPrefix(markup) {
            throw Refusal(message: "the file is HTML, SVG or XML markup, which is not accepted as text")
        }
        try? handle.seek(toOffset: 0)
        var validator = UTF8Validator()
        while true {
            guard let chunk = try? handle.read(upToCount: 256 * 1024), !chunk.isEmpty else { break }
            let ok = chunk.withUnsafeBytes { validator.feed($0) }
            guard ok else { throw Refusal(message: "a text, CSV or Markdown file must be UTF-8 text without NUL bytes") }
        }
        guard validator.isComplete else {
            throw Refusal(message: "a text, CSV or Markdown file must be UTF-8 text without NUL bytes")
        }
    }
}

/// A UTF-8 validator fed in chunks (a character may straddle two chunks). Refuses NUL, overlong
/// forms, surrogates and code points above U+10FFFF.
struct UTF8Validator {
    private var needed = 0
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF

    var isComplete: Bool { needed == 0 }

    mutating func feed(_ bytes: UnsafeRawBufferPointer) -> Bool {
        for byte in bytes {
            if needed == 0 {
                switch byte {
                case 0x00: return false
                case 0x01...0x7F: continue
                case 0xC2...0xDF: needed = 1
                case 0xE0: needed = 2; lower = 0xA0
                case 0xE1...0xEC, 0xEE...0xEF: needed = 2
                case 0xED: needed = 2; upper = 0x9F
                case 0xF0: needed = 3; lower = 0x90
                case 0xF1...0xF3: needed = 3
                case 0xF4: needed = 3; upper = 0x8F
                default: return false
                }
            } else {
                guard byte >= lower, byte <= upper else { return false }
                lower = 0x80
                upper = 0xBF
                needed -= 1
            }
        }
        return true
    }
}

/// File names offered on download: the last path component only, without control characters,
/// quotes or separators, at most 120 characters, keeping its extension.
public enum DocumentFilename {
    public static func sanitise(_ name: String) -> String {
        let last = name.split(whereSeparator: { $0 == "/" || $0 == "\\" }).last.map(String.init) ?? ""
        var cleaned = String(last.unicodeScalars.filter { scalar in
            !(scalar.properties.generalCategory == .control || scalar.properties.generalCategory == .format
                || "\"'<>:|?*;%`".unicodeScalars.contains(scalar))
        }.map(Character.init))
        cleaned = cleaned.trimmingCharacters(in: CharacterSet(charactersIn: " .")).trimmingCharacters(in: .whitespaces)
        if cleaned.count > 120 {
            let ext = (cleaned as NSString).pathExtension
            let keep = 120 - (ext.isEmpty ? 0 : ext.count + 1)
            cleaned = String(cleaned.prefix(keep)) + (ext.isEmpty ? "" : "." + ext)
        }
        return cleaned.isEmpty ? "document" : cleaned
    }
}
