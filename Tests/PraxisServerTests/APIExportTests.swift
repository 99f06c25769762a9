import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
@testable import PraxisHTTP
import PraxisJSON
import PraxisSQLite
import PraxisStorage
import Testing

/// A ZIP archive read back strictly: every local header, its CRC-32 against the bytes, and the
/// central directory and end record against the local headers.
struct ZipReader {
    struct Entry {
        var name: String
        var bytes: [UInt8]
    }

    struct Malformed: Error, CustomStringConvertible {
        let description: String
    }

    let entries: [Entry]

    init(_ data: [UInt8]) throws {
        func u16(_ at: Int) throws -> Int {
            guard at + 2 <= data.count else { throw Malformed(description: "truncated at \(at)") }
            return Int(data[at]) | Int(data[at + 1]) << 8
        }
        func u32(_ at: Int) throws -> UInt32 {
            guard at + 4 <= data.count else { throw Malformed(description: "truncated at \(at)") }
            return UInt32(data[at]) | UInt32(data[at + 1]) << 8 | UInt32(data[at + 2]) << 16 | UInt32(data[at + 3]) << 24
        }
        var entries: [Entry] = []
        var offsets: [Int] = []
        var at = 0
        while try u32(at) == 0x0403_4B50 {
            guard try u16(at + 8) == 0 else { throw Malformed(description: "entry at \(at) is not stored") }
            let crc = try u32(at + 14)
            let size = Int(try u32(at + 18))
            guard Int(try u32(at + 22)) == size else { throw Malformed(description: "sizes differ at \(at)") }
            let nameLength = try u16(at + 26)
            let extra = try u16(at + 28)
            let start = at + 30 + nameLength + extra
            guard start + size <= data.count else { throw Malformed(description: "entry at \(at) overruns") }
            let name = String(decoding: data[(at + 30)..<(at + 30 + nameLength)], as: UTF8.self)
            let bytes = Array(data[start..<(start + size)])
            guard CRC32.checksum(bytes) == crc else { throw Malformed(description: "CRC of \(name) does not match") }
            entries.append(Entry(name: name, bytes: bytes))
            offsets.append(at)
            at = start + size
        }
        let directory = at
        for (index, entry) in entries.enumerated() {
            guard try u32(at) == 0x0201_4B50 else { throw Malformed(description: "central header \(index) missing") }
            let nameLength = try u16(at + 28)
            let name = String(decoding: data[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            guard name == entry.name, Int(try u32(at + 42)) == offsets[index], Int(try u32(at + 24)) == entry.bytes.count,
                try u32(at + 16) == CRC32.checksum(entry.bytes)
            else { throw Malformed(description: "central header of \(entry.name) disagrees with its local header") }
            at += 46 + nameLength + (try u16(at + 30)) + (try u16(at + 32))
        }
        guard try u32(at) == 0x0605_4B50, try u16(at + 10) == entries.count,
            Int(try u32(at + 12)) == at - directory, Int(try u32(at + 16)) == directory, at + 22 == data.count
        else { throw Malformed(description: "end of central directory record is wrong") }
        self.entries = entries
    }

    subscript(name: String) -> [UInt8]? { entries.first { $0.name == name }?.bytes }
    func json(_ name: String) throws -> JSON { try JSON.parse(self[name] ?? []) }
}

/// The member's data export through the client API.
@Suite struct APIExportTests {
    let t: APITestNode
    init() throws { t = try APITestNode() }

    @Test func crcMatchesTheStandardCheckValue() {
        #expect(CRC32.checksum(Array("123456789".utf8)) == 0xCBF4_3926)
        #expect(CRC32.checksum([UInt8]()) == 0)
    }

    func seed() async throws -> (post: String, document: [UInt8]) {
        try await t.accept("bob", in: "cloud")
        let bob = try await t.signIn("bob")
        let post = try json(try await t.call(.post, "/communities/cloud/posts", token: bob,
                                              body: ["content": "Original text", "title": "Framework agreements"]))
        let id = try #require(post["id"]?.stringValue)
        _ = try await t.call(.patch, "/posts/\(FormURLEncoding.percentEncode(id))", token: bob, body: ["content": "Edited text"])
        _ = try await t.call(.patch, "/me/settings", token: bob, body: ["emailDigest": "off"])
        let bytes = Array("%PDF-1.4 tender template".utf8)
        let digest = SHA256.hash(bytes)
        let blobs = t.store.directory.documentBlobs
        _ = try blobs.store(bytes, sha256: digest)
        try await t.store.database.write { db in
            try DocumentStore(db).upsert(DocumentRecord(
                id: "https://praxis.test/documents/d1", community: "https://praxis.test/communities/cloud",
                uploader: "https://praxis.test/users/bob", title: "Template", description: "A template", tags: ["tender"],
                language: "en", mediaType: "application/pdf", filename: "../tender template.pdf", size: bytes.count,
                sha256: digest, url: "https://praxis.test/documents/d1/content", previousVersion: nil, created: Date(),
                origin: "praxis.test"))
            try ModerationRepository(db).insertReport(
                community: "https://praxis.test/communities/cloud", object: nil, target: "https://praxis.test/users/sam",
                reason: "Advertising", reporter: "https://praxis.test/users/bob", reporterNode: "praxis.test", activityID: nil)
        }
        return (id, bytes)
    }

    @Test func theArchiveHoldsEverythingTheMemberWroteAndUploaded() async throws {
        let (post, document) = try await seed()
        let bob = try await t.signIn("bob")
        for method in [HTTPMethod.get, .post] {
            let response = try await t.call(method, "/me/export", token: bob)
            #expect(response.status == .ok)
            #expect(response.headers["Content-Type"] == "application/zip")
            #expect(response.headers["Content-Disposition"]?.hasPrefix("attachment; filename=\"praxis-export-bob-") == true)
            let file = try #require(response.file)
            let zip = try ZipReader(try #require(file.read(at: 0, count: file.size)))
            #expect(zip.entries.map(\.name) == [
                "profile.json", "posts.json", "documents/\(BlobStore.hex(SHA256.hash(document)))-_tender template.pdf",
                "documents.json", "memberships.json", "invitations.json", "reports.json",
            ])
            let profile = try zip.json("profile.json")
            #expect(profile["name"] == "bob")
            #expect(profile["settings"]?["emailDigest"] == "off")
            let posts = try zip.json("posts.json")["posts"]?.arrayValue ?? []
            #expect(posts.count == 1)
            #expect(posts.first?["id"]?.stringValue == post)
            #expect(posts.first?["content"]?.stringValue?.contains("Edited text") == true)
            #expect(posts.first?["revisions"]?[0]?["content"]?.stringValue?.contains("Original text") == true)
            #expect(zip.entries[2].bytes == document)
            let documents = try zip.json("documents.json")["documents"]?.arrayValue ?? []
            #expect(documents.first?["file"]?.stringValue == zip.entries[2].name)
            #expect(documents.first?["title"] == "Template")
            #expect(try zip.json("memberships.json")["memberships"]?[0]?["state"] == "accepted")
            #expect(try zip.json("reports.json")["reports"]?[0]?["reason"] == "Advertising")
            #expect(try zip.json("invitations.json")["received"] == [])
        }
        // The temporary archive is gone once opened: nothing is left in the spool folder.
        let spool = t.store.directory.uploadSpoolDirectory.path
        let left = (try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []
        #expect(left.filter { $0.hasPrefix("tmp-") }.isEmpty)
        #expect(try await t.call(.get, "/me/export").status == .unauthorized)
        #expect(try await t.call(.post, "/me/export").status == .unauthorized)
    }

    @Test func anArchiveOverTheBoundIsRefusedAndRemoved() async throws {
        _ = try await seed()
        let account = try #require(try await t.store.database.read { db in try AccountRepository(db).find(username: "bob") })
        let authorization = try await t.store.database.read { db in
            try Authorization.load(account: account, urls: NodeURLs(configuration: t.store.configuration), db: db)
        }
        #expect(throws: CommunityError.self) { try DataExport(store: t.store, maxBytes: 200).export(by: authorization) }
        let spool = t.store.directory.uploadSpoolDirectory.path
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: spool)) ?? []).filter { $0.hasPrefix("tmp-") }.isEmpty)
        let archive = try DataExport(store: t.store).export(by: authorization)
        defer { try? FileManager.default.removeItem(atPath: archive.path) }
        #expect(archive.size > 200)
        #expect(try ZipReader(Array(try Data(contentsOf: URL(fileURLWithPath: archive.path)))).entries.count == 7)
    }
}
