import Foundation
import Synchronization
import Testing

@testable import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// Bodies that never sit in memory: uploads spooled to disk with their SHA-256, responses streamed
/// from files, and client downloads written to disk.
@Suite("Request bodies spooled to disk, file responses, client downloads")
struct BodyFileTests {
    /// SHA-256 of one million "a" (FIPS 180-2 appendix B.3).
    static let millionA = "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"

    final class Folder: Sendable {
        let path: String
        init() throws {
            var template = Array((NSTemporaryDirectory() + "/praxis-bodyfile-XXXXXX").utf8CString)
            guard let made = mkdtemp(&template) else { throw RawClientError("mkdtemp failed") }
            path = String(cString: made)
        }
        deinit { try? FileManager.default.removeItem(atPath: path) }
        var entries: [String] { ((try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []).sorted() }
    }

    static func hex(_ bytes: [UInt8]) -> String { bytes.map { String(format: "%02x", $0) }.joined() }

    /// A router with a spooling upload route that reports what it received, and one that keeps it.
    static func router(spool: Folder, keep: Folder) -> Router {
        var router = testRouter()
        router.post("/upload", spoolingTo: spool.path, maxBodySize: 2_000_000) { request in
            guard let body = request.spooledBody else { throw HTTPError(.badRequest, "no spooled body") }
            let onDisk = (try? FileManager.default.attributesOfItem(atPath: body.path)[.size] as? Int) ?? -1
            let text = "\(body.size) \(onDisk) \(hex(body.sha256)) \(request.body.count)"
            return HTTPResponse(contentType: "text/plain", body: text)
        }
        router.post("/keep", spoolingTo: spool.path, maxBodySize: 2_000_000) { request in
            guard let body = request.spooledBody else { throw HTTPError(.badRequest, "no spooled body") }
            guard rename(body.path, keep.path + "/kept") == 0 else { throw HTTPError(.internalServerError, "rename failed") }
            return HTTPResponse(status: .created)
        }
        return router
    }

    @Test func contentLengthUploadIsSpooledHashedAndRemovedAfterTheHandler() async throws {
        let spool = try Folder()
        let keep = try Folder()
        try await withServer(router: Self.router(spool: spool, keep: keep)) { server in
            let body = String(repeating: "a", count: 1_000_000)
            let response = try await exchange(
                server, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
            #expect(response.status == 200)
            #expect(response.text == "1000000 1000000 \(Self.millionA) 0", "size, file size, digest, nothing in memory")
            #expect(await waitUntil { spool.entries.isEmpty }, "the spooled file is deleted once the handler answered")

            let small = try await exchange(server, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 3\r\n\r\nabc")
            #expect(small.text == "3 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 0")
        }
    }

    @Test func chunkedUploadIsSpooledAndItsLimitHolds() async throws {
        let spool = try Folder()
        let keep = try Folder()
        try await withServer(router: Self.router(spool: spool, keep: keep)) { server in
            let response = try await exchange(
                server, "POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n1\r\na\r\n2\r\nbc\r\n0\r\n\r\n")
            #expect(response.text == "3 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad 0")

            // 3 chunks of 800,000 bytes pass the 2,000,000-byte limit on the third.
            let client = try RawClient(port: server.port)
            try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nTransfer-Encoding: chunked\r\n\r\n")
            let chunk = "c3500\r\n" + String(repeating: "x", count: 800_000) + "\r\n"
            for _ in 0..<3 { try? client.send(chunk) }
            let refused = try await client.readResponse()
            #expect(refused.status == 413)
            #expect(refused.text.contains("larger than 2000000 bytes"))
            #expect(await waitUntil { spool.entries.isEmpty }, "a refused body leaves no file")
            try await expectHealthy(server)
        }
    }

    @Test func declaredTooLargeIsRefusedBeforeAnyFile() async throws {
        let spool = try Folder()
        let keep = try Folder()
        try await withServer(router: Self.router(spool: spool, keep: keep)) { server in
            let response = try await exchange(server, "POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 2000001\r\n\r\n")
            #expect(response.status == 413)
            #expect(spool.entries.isEmpty)
        }
    }

    @Test func aPeerThatGoesAwayMidBodyLeavesNoFile() async throws {
        let spool = try Folder()
        let keep = try Folder()
        try await withServer(router: Self.router(spool: spool, keep: keep)) { server in
            do {
                let client = try RawClient(port: server.port)
                try client.send("POST /upload HTTP/1.1\r\nHost: t\r\nContent-Length: 1000\r\n\r\n" + String(repeating: "z", count: 400))
                #expect(await waitUntil { spool.entries.count == 1 }, "the body is being spooled")
            }
            // The client is released (socket closed) with 600 bytes missing.
            #expect(await waitUntil { spool.entries.isEmpty }, "the partial file is deleted when the connection closes")
            try await expectHealthy(server)
        }
    }

    @Test func aHandlerKeepsTheFileByMovingIt() async throws {
        let spool = try Folder()
        let keep = try Folder()
        try await withServer(router: Self.router(spool: spool, keep: keep)) { server in
            let response = try await exchange(server, "POST /keep HTTP/1.1\r\nHost: t\r\nContent-Length: 5\r\n\r\nhello")
            #expect(response.status == 201)
            #expect(keep.entries == ["kept"])
            #expect(try String(contentsOfFile: keep.path + "/kept", encoding: .utf8) == "hello")
            #expect(spool.entries.isEmpty)
        }
    }

    @Test func fileResponsesStreamWithTheirLength() async throws {
        let folder = try Folder()
        let big = (0..<(700 * 1024)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        _ = FileManager.default.createFile(atPath: folder.path + "/big.bin", contents: Data(big))
        var router = testRouter()
        router.get("/files/:name") { request in
            do {
                let file = try ResponseFile(path: folder.path + "/" + (request.parameters["name"] ?? ""))
                return HTTPResponse(headers: ["Content-Type": "application/octet-stream"], file: file)
            } catch let error as ResponseFileError where error.isMissing {
                throw HTTPError(.notFound, "no such file")
            }
        }
        try await withServer(router: router) { server in
            let client = try RawClient(port: server.port)
            try client.send("GET /files/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            let response = try await client.readResponse()
            #expect(response.status == 200)
            #expect(response.header("Content-Length") == "\(big.count)")
            #expect(response.body == big)

            try client.send("HEAD /files/big.bin HTTP/1.1\r\nHost: t\r\n\r\n")
            let head = try await client.readResponse(head: true)
            #expect(head.header("Content-Length") == "\(big.count)")

            try client.send("GET /ok HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(try await client.readResponse().text == "ok", "the connection stays usable after a file body")

            let missing = try await exchange(server, "GET /files/none HTTP/1.1\r\nHost: t\r\n\r\n")
            #expect(missing.status == 404)
        }
    }

    @Test func clientDownloadsToAFileWithItsDigest() async throws {
        let served = try Folder()
        let downloads = try Folder()
        _ = FileManager.default.createFile(atPath: served.path + "/a.txt", contents: Data(repeating: UInt8(ascii: "a"), count: 1_000_000))
        var router = testRouter()
        router.get("/a.txt") { _ in HTTPResponse(file: try ResponseFile(path: served.path + "/a.txt")) }
        try await withServer(router: router) { server in
            let client = try HTTPClient(configuration: clientDevConfiguration())
            let base = "http://127.0.0.1:\(server.port)"
            let response = try await client.download(
                HTTPClientRequest(url: "\(base)/a.txt"), into: downloads.path, maxBytes: 1_000_000)
            #expect(response.status.code == 200)
            #expect(response.body.isEmpty)
            let file = try #require(response.file)
            #expect(file.size == 1_000_000)
            #expect(Self.hex(file.sha256) == Self.millionA)
            #expect(downloads.entries.count == 1)
            #expect(FileManager.default.contents(atPath: file.path)?.count == 1_000_000)
            try FileManager.default.removeItem(atPath: file.path)

            let tooBig = await #expect(throws: HTTPClientError.self) {
                _ = try await client.download(HTTPClientRequest(url: "\(base)/a.txt"), into: downloads.path, maxBytes: 999_999)
            }
            #expect(tooBig?.kind == .responseTooLarge)
            #expect(downloads.entries.isEmpty, "a refused download leaves nothing behind")

            let missing = try await client.download(HTTPClientRequest(url: "\(base)/none"), into: downloads.path, maxBytes: 10)
            #expect(missing.status == .notFound)
            #expect(missing.file == nil)
            #expect(missing.text.contains("not found"), "error bodies stay in memory")
            #expect(downloads.entries.isEmpty)
            client.shutdown()
        }
    }
}
