import Foundation
import PraxisHTTP
import Testing
@testable import PraxisCrypto

/// Interoperability with an independent RFC 9421 implementation: the PyPI package
/// `http-message-signatures` (its own signature-base code; `http-sf` for structured fields and
/// `cryptography` for the algorithms). Praxis signs and Python verifies, then the reverse.
///
/// Needs `python3` with `pip install http-message-signatures`. Without it the test is skipped on a
/// developer machine and fails under CI (environment variable `CI` set), whose script installs it.
@Suite struct SignatureInteropTests {
    enum Python {
        /// Whether `python3` can import the package (probed once per test process).
        static let packageAvailable: Bool = {
            (try? run(["-c", "import http_message_signatures"]))?.status == 0
        }()

        static var isCI: Bool {
            !(ProcessInfo.processInfo.environment["CI"] ?? "").isEmpty
        }

        static var shouldRun: Bool { packageAvailable || isCI }

        /// Runs `python3 arguments...`, at most 60 seconds, and returns its exit status and stdout.
        static func run(_ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3"] + arguments
            let out = Pipe()
            let err = Pipe()
            process.standardOutput = out
            process.standardError = err
            try process.run()
            let watchdog = DispatchWorkItem { if process.isRunning { process.terminate() } }
            DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: watchdog)
            let output = out.fileHandleForReading.readDataToEndOfFile()
            let errors = err.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            watchdog.cancel()
            return (process.terminationStatus, String(decoding: output, as: UTF8.self), String(decoding: errors, as: UTF8.self))
        }
    }

    static let script = #"""
import datetime, json, sys
import http_message_signatures as hms
from http_message_signatures import algorithms

class Message:
    def __init__(self, method, url, headers):
        self.method, self.url, self.headers = method, url, headers

ALGS = {"ed25519": algorithms.ED25519, "rsa-pss-sha512": algorithms.RSA_PSS_SHA512,
        "rsa-v1_5-sha256": algorithms.RSA_V1_5_SHA256}
job = json.load(open(sys.argv[1]))
body = job["body"].encode()
created = datetime.datetime.fromtimestamp(job["created"], tz=datetime.timezone.utc)
results = []
for case in job["verify"]:
    msg = Message("POST", job["url"], dict(case["headers"]))
    resolver = hms.MappingKeyResolver(public_keys={case["keyid"]: case["public"].encode()}, private_keys={})
    verifier = hms.HTTPMessageVerifier(signature_algorithm=ALGS[case["alg"]], key_resolver=resolver)
    try:
        res = verifier.verify(msg, max_age=None, require_components=("@method", "@target-uri", "content-digest"), body=body)
        results.append({"alg": case["alg"], "ok": True, "covered": list(res[0].covered_components.keys())})
    except Exception as e:
        results.append({"alg": case["alg"], "ok": False, "error": repr(e)})
signed = []
for case in job["sign"]:
    msg = Message("POST", job["url"], {"Content-Type": "application/activity+json"})
    resolver = hms.MappingKeyResolver(public_keys={}, private_keys={case["keyid"]: case["private"].encode()})
    signer = hms.HTTPMessageSigner(signature_algorithm=ALGS[case["alg"]], key_resolver=resolver)
    signer.sign(msg, key_id=case["keyid"], created=created, label="py",
                covered_component_ids=("@method", "@authority", "@target-uri"), body=body)
    signed.append({"alg": case["alg"], "headers": list(msg.headers.items())})
print(json.dumps({"verified": results, "signed": signed}))
"""#

    @Test(.enabled(if: Python.shouldRun, "python3 package http-message-signatures is not installed; run `pip install http-message-signatures` (CI installs it)"))
    func praxisAndPythonVerifyEachOther() throws {
        guard Python.packageAvailable else {
            Issue.record("python3 with the package http-message-signatures is required under CI: run `pip install http-message-signatures`")
            return
        }
        let ed = try Ed25519PrivateKey(rawRepresentation: Array(repeating: 9, count: 32))
        let rsa = try RSAPrivateKey(pem: TestKeys.rsa2048PKCS1)
        let url = "https://b.example/inbox?x=1&y=two"
        let target = "/inbox?x=1&y=two"
        let body = Array(#"{"type":"Create","content":"caf\u00e9"}"#.utf8)
        let created: Int64 = 1_750_000_000
        let keys: [(alg: String, signing: MessageSigningKey, verification: MessageVerificationKey, privatePEM: String, publicPEM: String)] = [
            ("ed25519", .ed25519(ed), .ed25519(ed.publicKey), ed.pemRepresentation, ed.publicKey.pemRepresentation),
            ("rsa-pss-sha512", .rsaPSSSHA512(rsa), .rsaPSSSHA512(rsa.publicKey), rsa.pemRepresentation, rsa.publicKey.pemRepresentation),
            ("rsa-v1_5-sha256", .rsaPKCS1v15SHA256(rsa), .rsaPKCS1v15SHA256(rsa.publicKey), rsa.pemRepresentation, rsa.publicKey.pemRepresentation),
        ]

        // Praxis signs.
        var verifyCases: [[String: Any]] = []
        for key in keys {
            var headers: HTTPHeaders = ["Host": "b.example", "Content-Type": "application/activity+json"]
            headers["Content-Digest"] = ContentDigest.headerValue(for: body, algorithms: [.sha256, .sha512])
            let message = SignatureMessage.request(method: .post, scheme: "https", authority: "b.example", target: target, headers: headers)
            try MessageSignature.sign(
                message, label: "sig1", components: ["@method", "@target-uri", "@authority", "content-digest", "content-type"],
                parameters: MessageSignatureParameters(created: created, keyID: "praxis-\(key.alg)", algorithm: key.signing.algorithm),
                key: key.signing
            ).apply(to: &headers)
            verifyCases.append([
                "alg": key.alg, "keyid": "praxis-\(key.alg)", "public": key.publicPEM,
                "headers": headers.map { [$0.name, $0.value] },
            ])
        }
        let job: [String: Any] = [
            "url": url, "body": String(decoding: body, as: UTF8.self), "created": created, "verify": verifyCases,
            "sign": keys.map { ["alg": $0.alg, "keyid": "python-\($0.alg)", "private": $0.privatePEM] },
        ]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("praxis-interop-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let scriptURL = directory.appendingPathComponent("interop.py")
        let jobURL = directory.appendingPathComponent("job.json")
        try Self.script.write(to: scriptURL, atomically: true, encoding: .utf8)
        try JSONSerialization.data(withJSONObject: job).write(to: jobURL)

        let result = try Python.run([scriptURL.path, jobURL.path])
        try #require(result.status == 0, "python failed: \(result.errors)")
        let output = try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])

        // Python verified Praxis's signatures.
        let verified = try #require(output["verified"] as? [[String: Any]])
        #expect(verified.count == keys.count)
        for entry in verified {
            #expect(entry["ok"] as? Bool == true, "Python could not verify Praxis's \(entry["alg"] ?? "?"): \(entry["error"] ?? "")")
        }

        // Praxis verifies Python's signatures, through the core API and the federation facade.
        let signed = try #require(output["signed"] as? [[String: Any]])
        #expect(signed.count == keys.count)
        for entry in signed {
            let alg = try #require(entry["alg"] as? String)
            let key = try #require(keys.first { $0.alg == alg })
            let pairs = try #require(entry["headers"] as? [[String]])
            let headers = HTTPHeaders(pairs.map { ($0[0], $0[1]) })
            let request = HTTPRequest(method: .post, target: target, headers: headers, body: body)
            let message = SignatureMessage.request(request, scheme: "https", authority: "b.example")
            let verifiedByPraxis = try MessageSignature.verify(
                message, policy: MessageSignaturePolicy(requiredComponents: ["@method", "@target-uri", "content-digest"]),
                now: Date(timeIntervalSince1970: TimeInterval(created + 60))
            ) { keyID, declared in
                #expect(keyID == "python-\(alg)")
                #expect(declared?.rawValue == alg)
                return key.verification
            }
            #expect(verifiedByPraxis.label == "py")
            try ContentDigest.verify(try #require(headers["Content-Digest"]), body: body)

            let facadeKey: HTTPVerificationKey = alg == "ed25519" ? .ed25519(ed.publicKey) : .rsa(rsa.publicKey)
            let facade = try HTTPSignatureVerifier.verify(
                request, authority: "b.example", scheme: "https", key: facadeKey, now: Date(timeIntervalSince1970: TimeInterval(created + 60)))
            #expect(facade.keyID == "python-\(alg)")
            #expect(facade.coveredComponents.contains("content-digest"))

            var tampered = request
            tampered.body = Array("{}".utf8)
            expectSignatureError(.digestMismatch) {
                _ = try HTTPSignatureVerifier.verify(
                    tampered, authority: "b.example", scheme: "https", key: facadeKey, now: Date(timeIntervalSince1970: TimeInterval(created)))
            }
        }
    }
}
