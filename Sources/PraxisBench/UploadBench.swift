import Dispatch
import Foundation
import PraxisCommunity
import PraxisCrypto
import PraxisFederation
import PraxisHTTP
import PraxisJSON
import PraxisServer
import PraxisStorage
import Synchronization

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `praxis-bench upload`: a real node (in this process, development mode, temporary folder)
/// receives a 100 MB document through the client API over loopback, then serves it back. The
/// process's resident memory (VmRSS) is sampled every 5 ms; the growth over the level before the
/// transfer must stay under 32 MB, which holds only if the body is streamed to disk on the way in
/// and from disk on the way out. The client streams from one reused 1 MiB buffer, so its own
/// memory does not count.
enum UploadBench {
    static let limitMB = 32.0

    static func run(_ arguments: [String]) async {
        var megabytes = 100
        var rest = arguments[...]
        while let option = rest.popFirst() {
            switch option {
            case "--mb":
                guard let text = rest.popFirst(), let value = Int(text), (1...1_000).contains(value) else {
                    fail("--mb needs a size in MB from 1 to 1000")
                }
                megabytes = value
            default:
                fail("unknown option \(option) (upload takes --mb N)")
            }
        }
        do {
            try await measure(megabytes: megabytes)
        } catch {
            fail("\(error)")
        }
    }

    static func measure(megabytes: Int) async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-bench-upload-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let port = try InboxBench.freePort()
        let authority = "127.0.0.1:\(port)"
        let directory = DataDirectory(path: folder + "/node")
        let store = try NodeSetup.initialise(
            directory: directory, configuration: NodeConfiguration(domain: authority, name: "Upload bench", development: true))
        _ = try AccountService(store: store, passwordCost: .testing).add(.init(username: "bench", password: "bench password 123"))
        _ = try CommunityService(store: store).create(.init(name: "library", title: "Library", joinPolicy: .open))
        let node = try PraxisNode(directory: directory, listen: .init(host: "127.0.0.1", port: port))
        try node.start()
        defer { Task { await node.shutdown(gracePeriod: .seconds(1)) } }
        try await node.federation.social.follow(member: "bench", target: node.baseURL + "/communities/library")
        let signIn = try await node.federation.client.send(HTTPClientRequest(
            method: .post, url: node.baseURL + "/api/v1/auth/sign-in", headers: ["Content-Type": "application/json"],
            body: (["username": "bench", "password": "bench password 123"] as JSON).serializedBytes()))
        guard let token = try JSON.parse(signIn.body)["token"]?.stringValue else {
            throw BenchFailure("sign-in failed: \(signIn.status.code) \(signIn.text)")
        }

        let size = megabytes * 1_000_000
        print("upload: \(megabytes) MB PDF through POST /api/v1/communities/library/documents on loopback, RSS sampled every 5 ms")
        let sampler = RSSSampler()
        let baseline = sampler.start()
        let started = ContinuousClock.now
        let (status, body, sentDigest) = try await Task.detached {
            try uploadOverSocket(port: port, token: token, size: size)
        }.value
        let uploadSeconds = seconds(ContinuousClock.now - started)
        let uploadPeak = sampler.peakAndReset()
        guard status == 201, let id = try? JSON.parse(body)["id"]?.stringValue,
            (try? JSON.parse(body)["sha256"]?.stringValue) == BlobStore.hex(sentDigest)
        else { throw BenchFailure("upload answered \(status): \(String(decoding: body.prefix(300), as: UTF8.self))") }

        let downloadStarted = ContinuousClock.now
        let (downloadStatus, received, receivedDigest) = try await Task.detached {
            try downloadOverSocket(port: port, token: token, path: "/api/v1/documents/\(FormURLEncoding.percentEncode(id))/content")
        }.value
        let downloadSeconds = seconds(ContinuousClock.now - downloadStarted)
        let downloadPeak = sampler.stop()
        guard downloadStatus == 200, received == size, receivedDigest == sentDigest else {
            throw BenchFailure("download answered \(downloadStatus) with \(received) bytes; digest match: \(receivedDigest == sentDigest)")
        }

        let mb = Double(size) / 1_000_000
        func row(_ what: String, _ peak: Int, _ secs: Double) -> Bool {
            let growth = Double(peak - baseline) / 1_048_576
            let ok = growth < limitMB
            print("  \(what): \(format(mb / secs)) MB/s, RSS growth \(format(growth)) MB (limit \(Int(limitMB)) MB) \(ok ? "ok" : "OVER")")
            return ok
        }
        print("  RSS before: \(format(Double(baseline) / 1_048_576)) MB")
        let ok = [row("upload  ", uploadPeak, uploadSeconds), row("download", downloadPeak, downloadSeconds)].allSatisfy { $0 }
        print("  digest of the stored document matches what was sent: yes")
        if !ok { exit(1) }
    }

    static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    // MARK: - A streaming client on a raw socket

    static func connectLoopback(_ port: Int) throws -> Int32 {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw BenchFailure("socket failed") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let ok = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0
            }
        }
        guard ok else {
            close(fd)
            throw BenchFailure("cannot connect to 127.0.0.1:\(port)")
        }
        return fd
    }

    static func sendAll(_ fd: Int32, _ bytes: UnsafeRawBufferPointer) throws {
        var offset = 0
        while offset < bytes.count {
            let n = send(fd, bytes.baseAddress! + offset, bytes.count - offset, Int32(MSG_NOSIGNAL))
            guard n > 0 else { throw BenchFailure("the node closed the connection during the upload") }
            offset += n
        }
    }

    /// Sends a PDF of `size` bytes generated in a reused 1 MiB buffer; returns the status, the
    /// response body and the SHA-256 of what was sent.
    static func uploadOverSocket(port: Int, token: String, size: Int) throws -> (Int, [UInt8], [UInt8]) {
        let fd = try connectLoopback(port)
        defer { close(fd) }
        let head = "POST /api/v1/communities/library/documents?filename=bench.pdf&title=Bench HTTP/1.1\r\n"
            + "Host: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nContent-Type: application/pdf\r\n"
            + "Content-Length: \(size)\r\nConnection: close\r\n\r\n"
        try Array(head.utf8).withUnsafeBytes { try sendAll(fd, $0) }
        var hasher = SHA256Hasher()
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var sent = 0
        var counter: UInt32 = 0x9E37_79B9
        while sent < size {
            let count = min(buffer.count, size - sent)
            for index in 0..<count {
                counter = counter &* 1_664_525 &+ 1_013_904_223
                buffer[index] = UInt8(truncatingIfNeeded: counter >> 24)
            }
            if sent == 0 {
                for (index, byte) in "%PDF-1.7\n".utf8.enumerated() { buffer[index] = byte }
            }
            try buffer.withUnsafeBytes { raw in
                let slice = UnsafeRawBufferPointer(rebasing: raw[0..<count])
                hasher.update(slice)
                try sendAll(fd, slice)
            }
            sent += count
        }
        let (status, body, _, _) = try readResponse(fd, keepBody: true)
        return (status, body, hasher.finalize())
    }

    /// GETs `path` and hashes the body as it arrives without keeping it.
    static func downloadOverSocket(port: Int, token: String, path: String) throws -> (Int, Int, [UInt8]) {
        let fd = try connectLoopback(port)
        defer { close(fd) }
        let head = "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1:\(port)\r\nAuthorization: Bearer \(token)\r\nConnection: close\r\n\r\n"
        try Array(head.utf8).withUnsafeBytes { try sendAll(fd, $0) }
        let (status, _, count, digest) = try readResponse(fd, keepBody: false)
        return (status, count, digest)
    }

    /// Reads a `Connection: close` response to its end.
    static func readResponse(_ fd: Int32, keepBody: Bool) throws -> (Int, [UInt8], Int, [UInt8]) {
        var buffer = [UInt8](repeating: 0, count: 1 << 20)
        var head: [UInt8] = []
        var body: [UInt8] = []
        var bodyCount = 0
        var hasher = SHA256Hasher()
        var inBody = false
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            var chunk = buffer[0..<n]
            if !inBody {
                head += chunk
                guard let end = head.firstRange(of: Array("\r\n\r\n".utf8)) else { continue }
                chunk = head[end.upperBound...]
                head = Array(head[..<end.lowerBound])
                inBody = true
            }
            bodyCount += chunk.count
            hasher.update(Array(chunk))
            if keepBody { body += chunk }
        }
        let statusLine = String(decoding: head.prefix(while: { $0 != 13 }), as: UTF8.self)
        let parts = statusLine.split(separator: " ")
        guard parts.count >= 2, let status = Int(parts[1]) else { throw BenchFailure("no HTTP response") }
        return (status, body, bodyCount, hasher.finalize())
    }
}

/// Samples this process's resident set size (VmRSS in /proc/self/status) on its own thread.
final class RSSSampler: Sendable {
    private let state = Mutex<(running: Bool, peak: Int)>((false, 0))

    static func current() -> Int {
        guard let text = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("VmRSS:") }),
            let kB = Int(line.split(separator: " ").dropFirst().first ?? "")
        else { return 0 }
        return kB * 1024
    }

    /// Starts sampling; returns the current RSS as the baseline.
    func start() -> Int {
        let baseline = Self.current()
        state.withLock { $0 = (true, baseline) }
        let thread = Thread { [self] in
            while state.withLock({ $0.running }) {
                let now = Self.current()
                state.withLock { $0.peak = max($0.peak, now) }
                usleep(5_000)
            }
        }
        thread.start()
        return baseline
    }

    func peakAndReset() -> Int {
        state.withLock { value in
            let peak = max(value.peak, Self.current())
            value.peak = 0
            return peak
        }
    }

    func stop() -> Int {
        let peak = peakAndReset()
        state.withLock { $0.running = false }
        return peak
    }
}

struct BenchFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
