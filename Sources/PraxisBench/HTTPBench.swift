import Foundation
import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

struct BenchOptionError: Error, CustomStringConvertible {
    var description: String
}

struct HTTPBenchOptions {
    var connections = 64
    var duration = 10.0
    var threads = 2
    var serverLoops = HTTPServerConfiguration.coreCount
    var compareNginx = false
    var serveOnly = false

    init(parsing arguments: [String]) throws {
        var rest = arguments[...]
        func value(_ name: String) throws -> String {
            guard let v = rest.popFirst() else { throw BenchOptionError(description: "\(name) needs a value") }
            return v
        }
        func positive(_ name: String) throws -> Int {
            let text = try value(name)
            guard let n = Int(text), n > 0 else { throw BenchOptionError(description: "\(name) must be a positive integer, not \(text)") }
            return n
        }
        while let option = rest.popFirst() {
            switch option {
            case "--connections": connections = try positive(option)
            case "--duration":
                let text = try value(option)
                guard let d = Double(text), d > 0 else { throw BenchOptionError(description: "--duration must be positive seconds") }
                duration = d
            case "--threads": threads = try positive(option)
            case "--server-loops": serverLoops = try positive(option)
            case "--compare-nginx": compareNginx = true
            case "--serve-only": serveOnly = true
            default: throw BenchOptionError(description: "unknown option \(option)")
            }
        }
    }
}

/// The `http` benchmark: a Router serving a ~500-byte JSON document, measured with the built-in
/// load generator and, with `--compare-nginx`, with wrk against both Praxis and nginx.
struct HTTPBench {
    let options: HTTPBenchOptions

    /// Target from the project brief: at least this fraction of nginx's requests/s ...
    static let targetRatio = 0.35
    /// ... with p99 latency below this many milliseconds.
    static let targetP99Milliseconds = 5.0

    /// A realistic ActivityPub object of about 500 bytes.
    static let document: [UInt8] = {
        let json = """
            {"@context":"https://www.w3.org/ns/activitystreams","id":"https://praxis.example/posts/01J9Z7Q4W5E6R7T8Y9U0I1O2P3",\
            "type":"Note","attributedTo":"https://praxis.example/users/ana","audience":"https://praxis.example/c/green-procurement",\
            "to":["https://praxis.example/c/green-procurement/members"],"published":"2026-11-23T10:15:00Z",\
            "name":"Life-cycle costing in framework agreements","content":"<p>How do you weigh energy use over ten years \
            against purchase price when ranking tenders for school lighting? We used the EU LCC tool.</p>",\
            "mediaType":"text/html","replies":12}
            """
        return Array(json.utf8)
    }()

    func run() async throws {
        var router = Router()
        let document = Self.document
        router.get("/doc") { _ in
            HTTPResponse(status: .ok, headers: ["Content-Type": "application/json"], body: document)
        }
        var configuration = HTTPServerConfiguration()
        configuration.eventLoops = options.serverLoops
        configuration.maxConnections = max(10_000, options.connections * 2)
        let server = HTTPServer(configuration: configuration, responder: router)
        try server.start()
        say(
            "praxis-bench http: \(options.connections) connections, \(options.threads) load threads, "
                + "\(format(options.duration)) s (+1 s warm-up), \(options.serverLoops) server loops, "
                + "\(document.count)-byte JSON, \(HTTPServerConfiguration.coreCount) cores")

        if options.serveOnly {
            say("serving http://127.0.0.1:\(server.port)/doc for \(format(options.duration)) s (load it with an external tool)")
            try await Task.sleep(for: .seconds(options.duration))
            await server.shutdown(gracePeriod: .seconds(1))
            return
        }
        let generator = LoadGenerator(port: server.port, path: "/doc", connections: options.connections, threads: options.threads)
        let result = try generator.run(warmup: 1, duration: options.duration)
        let rps = Double(result.requests) / result.seconds
        let p50 = Double(result.histogram.percentile(0.50)) / 1000
        let p99 = Double(result.histogram.percentile(0.99)) / 1000
        say("built-in load generator (in-process, shares the CPUs with the server):")
        say("  Praxis  requests/s: \(format(rps, digits: 0))  p50: \(format(p50)) ms  p99: \(format(p99)) ms  "
            + "max: \(format(Double(result.histogram.maxMicros) / 1000)) ms  non-2xx: \(result.errors)")
        let p99Verdict = p99 < Self.targetP99Milliseconds ? "met" : "NOT met"
        say("  target: p99 < \(format(Self.targetP99Milliseconds)) ms (\(p99Verdict)); requests/s ≥ \(format(Self.targetRatio)) × nginx"
            + (options.compareNginx ? "" : " (run with --compare-nginx to measure nginx)"))

        if options.compareNginx {
            try await compareWithNginx(praxisPort: server.port)
        }
        await server.shutdown(gracePeriod: .seconds(1))
    }

    // MARK: nginx comparison

    func compareWithNginx(praxisPort: Int) async throws {
        guard let nginx = which("nginx"), let wrk = which("wrk") else {
            say("--compare-nginx: nginx and wrk are needed on PATH (apt-get install -y nginx wrk); skipped")
            return
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-bench-nginx-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.path)
        let documentPath = directory.appendingPathComponent("doc").path
        try Data(Self.document).write(to: URL(fileURLWithPath: documentPath))
        try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: documentPath)
        let nginxPort = try await freePort()
        let dir = directory.path
        let config = """
            worker_processes \(HTTPServerConfiguration.coreCount);
            daemon off;
            pid \(dir)/nginx.pid;
            error_log \(dir)/error.log warn;
            events { worker_connections 4096; }
            http {
                access_log off;
                keepalive_requests 100000000;
                keepalive_timeout 65;
                client_body_temp_path \(dir)/body;
                proxy_temp_path \(dir)/proxy;
                fastcgi_temp_path \(dir)/fastcgi;
                uwsgi_temp_path \(dir)/uwsgi;
                scgi_temp_path \(dir)/scgi;
                server {
                    listen 127.0.0.1:\(nginxPort);
                    root \(dir);
                    default_type application/json;
                    location = /doc { }
                }
            }
            """
        let configPath = directory.appendingPathComponent("nginx.conf").path
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
        let nginxProcess = Process()
        nginxProcess.executableURL = URL(fileURLWithPath: nginx)
        nginxProcess.arguments = ["-p", dir, "-c", configPath]
        nginxProcess.standardOutput = FileHandle.nullDevice
        try nginxProcess.run()
        defer {
            nginxProcess.terminate()
            nginxProcess.waitUntilExit()
        }
        guard await waitForPort(nginxPort) else {
            let log = (try? String(contentsOfFile: "\(dir)/error.log", encoding: .utf8)) ?? ""
            throw BenchOptionError(description: "nginx did not start on port \(nginxPort): \(log)")
        }
        let seconds = max(1, Int(options.duration.rounded()))
        say("wrk -t2 -c\(options.connections) -d\(seconds)s --latency (same machine, same document):")
        let nginxResult = try runWrk(wrk, port: nginxPort, seconds: seconds)
        say("  nginx   requests/s: \(format(nginxResult.rps, digits: 0))  p50: \(format(nginxResult.p50)) ms  p99: \(format(nginxResult.p99)) ms")
        let praxisResult = try runWrk(wrk, port: praxisPort, seconds: seconds)
        say("  Praxis  requests/s: \(format(praxisResult.rps, digits: 0))  p50: \(format(praxisResult.p50)) ms  p99: \(format(praxisResult.p99)) ms")
        let ratio = nginxResult.rps > 0 ? praxisResult.rps / nginxResult.rps : 0
        let ratioVerdict = ratio >= Self.targetRatio ? "met" : "NOT met"
        let p99Verdict = praxisResult.p99 < Self.targetP99Milliseconds ? "met" : "NOT met"
        say("  ratio Praxis/nginx: \(format(ratio, digits: 2))  target ≥ \(format(Self.targetRatio)) (\(ratioVerdict)); "
            + "p99 target < \(format(Self.targetP99Milliseconds)) ms (\(p99Verdict))")
    }

    struct WrkResult {
        var rps = 0.0
        var p50 = 0.0
        var p99 = 0.0
    }

    func runWrk(_ wrk: String, port: Int, seconds: Int) throws -> WrkResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: wrk)
        process.arguments = ["-t2", "-c\(options.connections)", "-d\(seconds)s", "--latency", "http://127.0.0.1:\(port)/doc"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: data, as: UTF8.self)
        var result = WrkResult()
        for line in output.split(separator: "\n") {
            let fields = line.split(separator: " ", omittingEmptySubsequences: true)
            if fields.first == "Requests/sec:", fields.count > 1 { result.rps = Double(fields[1]) ?? 0 }
            if fields.first == "50%", fields.count > 1 { result.p50 = milliseconds(fields[1]) }
            if fields.first == "99%", fields.count > 1 { result.p99 = milliseconds(fields[1]) }
        }
        if output.contains("Non-2xx") || result.rps == 0 {
            throw BenchOptionError(description: "wrk reported a problem:\n\(output)")
        }
        return result
    }

    /// wrk prints `512.00us`, `2.10ms` or `1.02s`.
    func milliseconds(_ text: Substring) -> Double {
        if text.hasSuffix("us") { return (Double(text.dropLast(2)) ?? 0) / 1000 }
        if text.hasSuffix("ms") { return Double(text.dropLast(2)) ?? 0 }
        if text.hasSuffix("s") { return (Double(text.dropLast(1)) ?? 0) * 1000 }
        return Double(text) ?? 0
    }

    func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        let directories: [String] = path.split(separator: ":").map(String.init) + ["/usr/sbin", "/sbin"]
        for dir in directories {
            let candidate = "\(dir)/\(name)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        return nil
    }

    /// An ephemeral port that was free a moment ago (bound, read, released).
    func freePort() async throws -> Int {
        let probe = HTTPServer(configuration: HTTPServerConfiguration(), responder: Router())
        try probe.start()
        let port = probe.port
        await probe.shutdown(gracePeriod: .zero)
        return port
    }

    func waitForPort(_ port: Int) async -> Bool {
        for _ in 0..<100 {
            if let fd = try? connectLoopback(port) {
                Glibc.close(fd)
                return true
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    func format(_ value: Double, digits: Int = 2) -> String {
        String(format: "%.\(digits)f", value)
    }
}

/// Prints a line unbuffered, so progress shows even when stdout is a pipe or file.
func say(_ line: String) {
    let bytes = Array((line + "\n").utf8)
    bytes.withUnsafeBytes { _ = write(1, $0.baseAddress, $0.count) }
}
