import Foundation
import PraxisHTTP
import PraxisJSON
import PraxisTestSupport
import Synchronization
import Testing

/// Runs the real `praxis demo` binary, as a newcomer would, and checks what it prints answers.
@Suite(.serialized) struct DemoTests {
    /// The folder holding the built products (the test bundle sits beside the executables).
    static var productsDirectory: URL {
        URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
    }

    @Test(.timeLimit(.minutes(2))) func demoPrintsThreeURLsThatAnswerAndStopsOnSigint() async throws {
        let binary = Self.productsDirectory.appendingPathComponent("praxis")
        try #require(FileManager.default.isExecutableFile(atPath: binary.path), "build the praxis executable first: \(binary.path)")
        // Three consecutive free ports.
        var base = 0
        for _ in 0..<20 {
            let candidate = freeLoopbackPort()
            guard candidate > 0, candidate < 65000 else { continue }
            if freePortCheck(candidate + 1) && freePortCheck(candidate + 2) {
                base = candidate
                break
            }
        }
        try #require(base > 0)

        let process = Process()
        process.executableURL = binary
        process.arguments = ["demo", "--base-port", String(base), "--quiet"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        let output = Mutex("")
        pipe.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if !data.isEmpty { output.withLock { $0 += String(decoding: data, as: UTF8.self) } }
        }
        try process.run()
        defer { if process.isRunning { process.terminate() } }

        let deadline = Date().addingTimeInterval(40)
        while !output.withLock({ $0.contains("Press Ctrl-C") }) {
            try #require(Date() < deadline, "demo did not come up: \(output.withLock { $0 })")
            try #require(process.isRunning, "demo exited early: \(output.withLock { $0 })")
            try await Task.sleep(for: .milliseconds(100))
        }
        let printed = output.withLock { $0 }
        let urls = printed.split(separator: "\n").compactMap { line -> String? in
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("http://127.0.0.1:") else { return nil }
            return String(trimmed.split(separator: " ")[0])
        }
        #expect(urls.count == 3, "\(printed)")

        var configuration = HTTPClientConfiguration()
        configuration.allowInsecureAndPrivate = true
        let client = try HTTPClient(configuration: configuration)
        for url in urls {
            let domain = String(url.dropFirst("http://".count))
            let nodeInfo = try await client.send(HTTPClientRequest(url: url + "/.well-known/nodeinfo"))
            #expect(nodeInfo.status == .ok)
            let href = try #require(try JSON.parse(nodeInfo.body)["links"]?[0]?["href"]?.stringValue)
            let document = try await client.send(HTTPClientRequest(url: href))
            #expect(try JSON.parse(document.body)["version"] == "2.1")

            // The first member line printed for this node names an actor that WebFinger resolves.
            let memberLine = try #require(printed.split(separator: "\n").first {
                $0.contains("member:") && $0.contains(url + "/users/")
            })
            let actorURL = String(memberLine.split(separator: " ").first { $0.hasPrefix("http") } ?? "")
            let name = String(actorURL.split(separator: "/").last ?? "")
            let finger = try await client.send(HTTPClientRequest(
                url: "\(url)/.well-known/webfinger?resource=acct:\(name)@\(domain)"))
            #expect(finger.status == .ok)
            let jrd = try JSON.parse(finger.body)
            #expect(jrd["links"]?[0]?["href"]?.stringValue == actorURL)
            let actor = try await client.send(HTTPClientRequest(url: actorURL, headers: ["Accept": "application/activity+json"]))
            #expect(actor.status == .ok)
            #expect(try JSON.parse(actor.body)["id"]?.stringValue == actorURL)
        }
        // The seeded cross-node conversation went over the federation: the French member's question
        // is in the Dutch community, and the Dutch answer reached the French node's copy.
        let conversation = try #require(printed.split(separator: "\n").first { $0.contains("conversation across nodes:") })
        let communityURL = String(conversation.split(separator: " ").last ?? "")
        let page = try await client.send(HTTPClientRequest(url: communityURL))
        #expect(String(decoding: page.body, as: UTF8.self).contains("Comment calculez-vous le seuil"))

        // The Dutch answerer's shared template reached the French member's node, which fetched its
        // bytes from the Dutch node and checked their digest: it serves them to the French member.
        let signIn = try await client.send(HTTPClientRequest(
            method: .post, url: urls[0] + "/api/v1/auth/sign-in", headers: ["Content-Type": "application/json"],
            body: Array(#"{"username":"amelie","password":"praxis-demo-2026"}"#.utf8)))
        let token = try #require(try JSON.parse(signIn.body)["token"]?.stringValue)
        let auth: HTTPHeaders = ["Authorization": "Bearer \(token)"]
        let listing = try await client.send(HTTPClientRequest(
            url: urls[0] + "/api/v1/documents?community=" + FormURLEncoding.percentEncode(communityURL), headers: auth))
        let shared = try #require(try JSON.parse(listing.body)["documents"]?[0], "\(listing.text)")
        #expect(shared["title"]?.stringValue == "Rekenblad: geraamde waarde per perceel")
        let id = try #require(shared["id"]?.stringValue)
        let bytes = try await client.send(HTTPClientRequest(
            url: urls[0] + "/api/v1/documents/" + FormURLEncoding.percentEncode(id) + "/content", headers: auth))
        #expect(bytes.status == .ok)
        #expect(bytes.text.hasPrefix("perceel,omschrijving"))
        client.shutdown()

        process.interrupt()
        let stopDeadline = Date().addingTimeInterval(15)
        while process.isRunning && Date() < stopDeadline { try await Task.sleep(for: .milliseconds(100)) }
        #expect(!process.isRunning, "demo did not stop on SIGINT")
        #expect(process.terminationStatus == 0)
        try await Task.sleep(for: .milliseconds(200))
        #expect(output.withLock { $0 }.contains("Stopped"))
    }

    func freePortCheck(_ port: Int) -> Bool { isLoopbackPortFree(port) }
}
