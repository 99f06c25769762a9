import Foundation
import PraxisCrypto
import PraxisSQLite
import PraxisTestSupport
import Testing

@testable import PraxisStorage

/// The documents table and the content-addressed blob store.
struct DocumentStoreTests {
    func record(_ id: String, sha256: [UInt8], previous: String? = nil) -> DocumentRecord {
        DocumentRecord(
            id: id, community: "https://n.example/communities/c", uploader: "https://n.example/users/ana", title: "T",
            description: "", tags: ["a"], language: nil, mediaType: "application/pdf", filename: "t.pdf", size: 3,
            sha256: sha256, url: id + "/content", previousVersion: previous, created: Date(timeIntervalSince1970: 1_000),
            origin: "n.example")
    }

    @Test func versionsDeletionAndReferences() async throws {
        let node = try TestNode()
        let digest = SHA256.hash([1, 2, 3])
        try await node.store.database.write { db in
            let documents = DocumentStore(db)
            try documents.upsert(record("https://n.example/objects/1", sha256: digest))
            try documents.upsert(record("https://n.example/objects/2", sha256: digest, previous: "https://n.example/objects/1"))
            #expect(try documents.find(id: "https://n.example/objects/1")?.tags == ["a"])
            #expect(try documents.successor(of: "https://n.example/objects/1")?.id == "https://n.example/objects/2")
            #expect(try documents.inCommunity("https://n.example/communities/c").map(\.id).count == 2)
            #expect(try documents.markDeleted(id: "https://n.example/objects/1"))
            #expect(try !documents.markDeleted(id: "https://n.example/objects/1"))
            #expect(try documents.isReferenced(sha256: digest))
            try documents.markDeleted(id: "https://n.example/objects/2")
            #expect(try !documents.isReferenced(sha256: digest))
            #expect(try documents.inCommunity("https://n.example/communities/c").isEmpty)
            // A deleted document stays deleted when its Create arrives again.
            try documents.upsert(record("https://n.example/objects/2", sha256: digest))
            #expect(try documents.find(id: "https://n.example/objects/2")?.deletedAt != nil)
        }
        #expect(node.store.configuration.documentSizeLimit == 100 * 1024 * 1024)
    }

    @Test func blobsAreNamedByDigestAndAdoptedByRename() throws {
        let temp = TemporaryDirectory("praxis-blobs")
        let blobs = BlobStore(root: URL(fileURLWithPath: temp.appending("blobs")))
        let bytes: [UInt8] = Array("document bytes".utf8)
        let digest = SHA256.hash(bytes)
        let source = try blobs.temporaryPath()
        _ = FileManager.default.createFile(atPath: source, contents: Data(bytes))
        let path = try blobs.adopt(source, sha256: digest)
        #expect(path.hasSuffix("/" + String(BlobStore.hex(digest).prefix(2)) + "/" + BlobStore.hex(digest)))
        #expect(!FileManager.default.fileExists(atPath: source))
        #expect(blobs.contains(digest))
        #expect(blobs.size(of: digest) == bytes.count)
        // The same bytes again: the second copy is dropped, the blob stays.
        let again = try blobs.temporaryPath()
        _ = FileManager.default.createFile(atPath: again, contents: Data(bytes))
        try blobs.adopt(again, sha256: digest)
        #expect(!FileManager.default.fileExists(atPath: again))
        blobs.remove(digest)
        #expect(!blobs.contains(digest))
        #expect(throws: StorageError.self) { try blobs.path(for: [1, 2, 3]) }
    }

    @Test func configuredLimitIsReadFromConfigJSON() throws {
        var configuration = NodeConfiguration(domain: "n.example", name: "N")
        #expect(configuration.documentSizeLimit == NodeConfiguration.defaultMaxDocumentBytes)
        configuration.maxDocumentBytes = 5_000
        let data = try JSONEncoder().encode(configuration)
        let decoded = try JSONDecoder().decode(NodeConfiguration.self, from: data)
        #expect(decoded.documentSizeLimit == 5_000)
    }
}
