import PraxisHTTP

#if canImport(Glibc)
@preconcurrency import Glibc
#endif

/// `praxis-bench`: reproducible performance measurements of Praxis components.
let usage = """
    usage: praxis-bench <benchmark> [options]

    benchmarks:
      http    HTTP/1.1 server throughput and latency under keep-alive load
              --connections N   concurrent connections (default 64)
              --duration S      seconds of measurement (default 10)
              --threads N       load-generator threads (default 2)
              --server-loops N  server event loops (default: number of cores)
              --compare-nginx   also measure nginx serving the same bytes with wrk, and
                                Praxis with wrk, then print the ratio (needs nginx and wrk)
              --serve-only      only serve the document for --duration seconds, for an
                                external load generator (prints the URL)
      fanout  one activity delivered to 100 destination nodes; time until all accepted it
      lane    one destination answering after 100 ms; activities/s delivered in per-object order
      proofs  eddsa-jcs-2022 proofs created and verified per second for a ~1 KB Note, beside raw
              Ed25519 sign/verify on the same thread   --seconds S  per measure (default 2)
      inbox   pre-signed activities from many remote actors posted to a real node; activities/s
              until verified, persisted and processed (cavage rsa-sha256 and RFC 9421 ed25519)
              --activities N  per profile (default 20000)   --actors N (default 1000)
              --rsa-keys N    distinct RSA keys (default 100) --connections N (default 48)
      flood   node A floods a real node's inbox with signed Follows while nodes B and C send at a
              normal pace; B/C acceptance and send → processed latency, A's 202/429 counts, drain time
              --flood N (default 10000)   --rate N  per second for B and C (default 20)
              --connections N  for A (default 64)   --actors N  of A (default 50)
              --unlimited  lift the per-node inbox limit (only fair processing protects B and C)
      upload  a 100 MB document uploaded to a real node over loopback and downloaded back; MB/s and
              the node process's resident-memory growth against the 32 MB limit   --mb N (default 100)

    """

func fail(_ message: String) -> Never {
    let text = Array("praxis-bench: \(message)\n\n\(usage)".utf8)
    text.withUnsafeBytes { _ = write(2, $0.baseAddress, $0.count) }
    exit(2)
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let command = arguments.first else { fail("no benchmark given") }
switch command {
case "http":
    let options: HTTPBenchOptions
    do {
        options = try HTTPBenchOptions(parsing: Array(arguments.dropFirst()))
    } catch {
        fail("\(error)")
    }
    do {
        try await HTTPBench(options: options).run()
    } catch {
        fail("\(error)")
    }
case "fanout":
    await FanoutBench.run(Array(arguments.dropFirst()))
case "lane":
    await LaneBench.run(Array(arguments.dropFirst()))
case "proofs":
    ProofsBench.run(Array(arguments.dropFirst()))
case "inbox":
    await InboxBench.run(Array(arguments.dropFirst()))
case "flood":
    await FloodBench.run(Array(arguments.dropFirst()))
case "upload":
    await UploadBench.run(Array(arguments.dropFirst()))
case "-h", "--help", "help":
    print(usage)
default:
    fail("unknown benchmark \(command)")
}
