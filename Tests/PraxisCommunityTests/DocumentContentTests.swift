import Foundation
import PraxisCrypto
import PraxisJSON
import PraxisStorage
import PraxisTestSupport
import Testing

@testable import PraxisCommunity

/// File type checks of the document library: content and name must agree, and nothing a browser
/// could run is accepted.
struct DocumentContentTests {
    let temp = TemporaryDirectory("praxis-doc-content")

    func file(_ bytes: [UInt8]) -> String {
        let path = temp.appending(UUID().uuidString)
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func detect(_ bytes: [UInt8], _ name: String) throws -> String {
        try DocumentContent.detect(path: file(bytes), filename: name).mediaType
    }

    /// A minimal ZIP: one stored local entry per name, then the central directory and its end.
    static func zip(_ entries: [(String, [UInt8])]) -> [UInt8] {
        func le16(_ v: Int) -> [UInt8] { [UInt8(v & 0xff), UInt8(v >> 8 & 0xff)] }
        func le32(_ v: Int) -> [UInt8] { le16(v & 0xffff) + le16(v >> 16) }
        var out: [UInt8] = []
        var central: [UInt8] = []
        for (name, data) in entries {
            let offset = out.count
            let nameBytes = Array(name.utf8)
            out += [0x50, 0x4B, 0x03, 0x04] + le16(10) + le16(0) + le16(0) + le32(0) + le32(0)
                + le32(data.count) + le32(data.count) + le16(nameBytes.count) + le16(0) + nameBytes + data
            central += [0x50, 0x4B, 0x01, 0x02] + le16(20) + le16(10) + le16(0) + le16(0) + le32(0) + le32(0)
                + le32(data.count) + le32(data.count) + le16(nameBytes.count) + le16(0) + le16(0) + le16(0) + le16(0)
                + le32(0) + le32(offset) + nameBytes
        }
        let centralOffset = out.count
        out += central
        out += [0x50, 0x4B, 0x05, 0x06] + le16(0) + le16(0) + le16(entries.count) + le16(entries.count)
            + le32(central.count) + le32(centralOffset) + le16(0)
        return out
    }

    @Test func recognisesAllowedTypesByContentAndName() throws {
        #expect(try detect(Array("%PDF-1.7\n...".utf8), "guide.PDF") == "application/pdf")
        #expect(try detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A, 0, 0], "chart.png") == "image/png")
        #expect(try detect([0xFF, 0xD8, 0xFF, 0xE0, 1, 2], "photo.jpeg") == "image/jpeg")
        #expect(try detect(Array("GIF89a....".utf8), "a.gif") == "image/gif")
        #expect(try detect(Array("RIFF\u{0}\u{0}\u{0}\u{0}WEBPVP8 ".utf8), "a.webp") == "image/webp")
        #expect(try detect([0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1, 0], "old.xls") == "application/vnd.ms-excel")
        #expect(try detect(Array("lot;price\n1;10 €\n".utf8), "prices.csv") == "text/csv")
        #expect(try detect(Array("# Notes\n\nCahier des charges".utf8), "notes.md") == "text/markdown")
        let odt = Self.zip([("mimetype", Array("application/vnd.oasis.opendocument.text".utf8)), ("content.xml", [1])])
        #expect(try detect(odt, "tender.odt") == "application/vnd.oasis.opendocument.text")
        let docx = Self.zip([("[Content_Types].xml", [1]), ("_rels/.rels", [1]), ("word/document.xml", [1])])
        #expect(try detect(docx, "tender.docx") == DocumentContent.docx.mediaType)
        let xlsx = Self.zip([("[Content_Types].xml", [1]), ("xl/workbook.xml", [1])])
        #expect(try detect(xlsx, "prices.xlsx") == DocumentContent.xlsx.mediaType)
    }

    @Test func refusesMismatchesMarkupProgramsAndMacros() throws {
        // Content and name disagree.
        #expect(throws: DocumentContent.Refusal.self) { try detect(Array("%PDF-1.4".utf8), "report.docx") }
        #expect(throws: DocumentContent.Refusal.self) { try detect([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A], "x.pdf") }
        // Types a browser would render or run, whatever the content.
        for name in ["page.html", "logo.svg", "run.exe", "script.js", "noextension"] {
            #expect(throws: DocumentContent.Refusal.self) { try detect(Array("hello".utf8), name) }
        }
        // Markup or binary named as text.
        #expect(throws: DocumentContent.Refusal.self) { try detect(Array("<!DOCTYPE html><script>x</script>".utf8), "a.txt") }
        #expect(throws: DocumentContent.Refusal.self) { try detect(Array("  <svg onload=alert(1)>".utf8), "a.md") }
        #expect(throws: DocumentContent.Refusal.self) { try detect([0x4D, 0x5A, 0x90, 0x00], "a.txt") }
        #expect(throws: DocumentContent.Refusal.self) { try detect([0x61, 0xC3], "truncated.txt") }
        #expect(throws: DocumentContent.Refusal.self) { try detect([0xED, 0xA0, 0x80], "surrogate.txt") }
        // A program named as a PDF.
        #expect(throws: DocumentContent.Refusal.self) { try detect([0x7F, 0x45, 0x4C, 0x46, 2, 1], "invoice.pdf") }
        // ZIP archives that are not office documents, and documents with macros.
        #expect(throws: DocumentContent.Refusal.self) { try detect(Self.zip([("a.txt", [1])]), "a.docx") }
        let macro = Self.zip([("[Content_Types].xml", [1]), ("word/document.xml", [1]), ("word/vbaProject.bin", [1])])
        #expect(throws: DocumentContent.Refusal.self) { try detect(macro, "macro.docx") }
    }

    @Test func utf8ValidationAcrossChunkBoundaries() throws {
        // A multi-byte character straddling the 256 KiB read boundary is still valid.
        var text = [UInt8](repeating: 0x61, count: 256 * 1024 - 1)
        text += Array("é and more".utf8)
        #expect(try detect(text, "long.txt") == "text/plain")
    }

    @Test func filenamesAreSanitised() {
        #expect(DocumentFilename.sanitise("../../etc/passwd") == "passwd")
        #expect(DocumentFilename.sanitise("C:\\Users\\ana\\Offre \"finale\".pdf") == "Offre finale.pdf")
        #expect(DocumentFilename.sanitise("\u{202E}fdp.exe") == "fdp.exe")
        #expect(DocumentFilename.sanitise(".hidden.txt") == "hidden.txt")
        #expect(DocumentFilename.sanitise("") == "document")
        let long = String(repeating: "a", count: 300) + ".pdf"
        #expect(DocumentFilename.sanitise(long).count == 120)
        #expect(DocumentFilename.sanitise(long).hasSuffix(".pdf"))
    }

    @Test func documentObjectsRoundTripAndInconsistentOnesAreRefused() throws {
        let digest = SHA256.hash(Array("bytes".utf8))
        let record = DocumentRecord(
            id: "https://a.example/objects/1", community: "https://a.example/communities/c",
            uploader: "https://a.example/users/ana", title: "Guide", description: "About lots", tags: ["lots"],
            language: "fr", mediaType: "application/pdf", filename: "guide.pdf", size: 5, sha256: digest,
            url: "https://a.example/objects/1/content", previousVersion: "https://a.example/objects/0",
            created: Date(timeIntervalSince1970: 1_700_000_000), origin: "a.example")
        let object = JSON.object(DocumentFederation.object(record, content: "<p>About lots</p>", to: [], cc: []))
        #expect(object["digestMultibase"]?.stringValue?.hasPrefix("zQm") == true)
        let parsed = try DocumentFederation.record(from: object, community: record.community)
        #expect(parsed == record)

        guard case .object(var other) = object else { return }
        other["url"] = "https://evil.example/bytes"
        #expect(throws: (any Error).self) { try DocumentFederation.record(from: .object(other), community: record.community) }
        other = object.objectValue ?? [:]
        other["mediaType"] = "text/html"
        #expect(throws: (any Error).self) { try DocumentFederation.record(from: .object(other), community: record.community) }
        other = object.objectValue ?? [:]
        let sha1: [UInt8] = [0x11, 0x14] + [UInt8](repeating: 1, count: 20)
        other["digestMultibase"] = JSON.string(Multibase.encode(sha1, as: .base58btc))
        #expect(throws: (any Error).self) { try DocumentFederation.record(from: .object(other), community: record.community) }
    }
}
