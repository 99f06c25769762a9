import Foundation
import PraxisHTTP
import PraxisServer
import PraxisStorage

/// `--listen` parsing shared by init and serve.
enum PraxisNodeListen {
    static func parse(_ text: String) throws -> PraxisNode.ListenAddress {
        do {
            return try PraxisNode.ListenAddress(parsing: text)
        } catch {
            throw CLIError.usage("--listen: \(error)")
        }
    }
}

enum ServeCommand {
    static let help = """
        Usage: praxis serve --data DIR [--listen ADDR:PORT] [--tls-cert PEM --tls-key PEM] [--quiet]

        Runs the node in DIR until SIGINT or SIGTERM, then finishes in-flight requests and stops.

          --data DIR          the node's data folder (created by `praxis init`)
          --listen ADDR:PORT  overrides the configured listen address
          --tls-cert PEM      certificate chain to serve HTTPS directly (else run behind a TLS proxy)
          --tls-key PEM       private key of that certificate
          --quiet             no access log on standard output
        """

    static func run(_ words: [String], console: Console) async throws {
        if PraxisCLI.wantsHelp(words) { return console.out(help) }
        let args = try Arguments(words, options: ["data", "listen", "tls-cert", "tls-key"], flags: ["quiet"],
                                 command: "serve")
        try args.expectPositionals(0, "")
        let path = try args.required("data", "DIR (the node's data folder)")
        let listen = try args.value("listen").map(PraxisNodeListen.parse)
        var tls: TLSServerConfiguration?
        switch (args.value("tls-cert"), args.value("tls-key")) {
        case (nil, nil): tls = nil
        case (let cert?, let key?):
            for file in [cert, key] where !FileManager.default.isReadableFile(atPath: file) {
                throw CLIError.usage("cannot read \(file)")
            }
            tls = TLSServerConfiguration(certificateChainPath: cert, privateKeyPath: key)
        default:
            throw CLIError.usage("--tls-cert and --tls-key go together")
        }
        let accessLog: (@Sendable (String) -> Void)? = args.flag("quiet") ? nil : console.out
        let node = try PraxisNode(directory: DataDirectory(path: path), listen: listen, tls: tls, accessLog: accessLog)
        let configuration = node.store.configuration
        if configuration.development {
            console.err("""
                ********************************************************************************
                WARNING: development mode is ON for \(configuration.domain).
                Plain HTTP and loopback/private peer addresses are allowed. Never expose this node.
                ********************************************************************************
                """)
        }
        do {
            try node.start()
        } catch {
            throw CLIError("cannot listen on \(node.listenAddress): \(error)")
        }
        console.out("Serving \(configuration.baseURL) (\(configuration.name)) on \(node.listenAddress)\(tls == nil ? "" : " with TLS")")
        let signal = await ShutdownSignal.wait()
        console.out("Received signal \(signal); finishing in-flight requests")
        await node.shutdown()
        console.out("Stopped")
    }
}
