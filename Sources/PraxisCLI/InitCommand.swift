import Foundation
import PraxisFederation
import PraxisStorage

enum InitCommand {
    static let help = """
        Usage: praxis init --data DIR --domain HOST[:PORT] [--name TEXT] [--federation allowlist|open]
                           [--listen ADDR:PORT] [--dev]

        Creates a node in DIR: its configuration, database and the node's own keys.

          --data DIR          data folder to create (must not already hold a node)
          --domain HOST[:PORT]  the node's public authority, e.g. praxis.achats.gouv.fr; actor ids
                              are built from it, so it cannot change later
          --name TEXT         the node's display name (default: the domain)
          --federation MODE   allowlist (default): only nodes on the trust list federate;
                              open: unknown nodes may see public content
          --listen ADDR:PORT  where `praxis serve` listens by default (default 127.0.0.1:8080,
                              or 127.0.0.1:PORT of the domain with --dev)
          --dev               local-development mode: publishes http:// URLs and allows plain HTTP,
                              loopback and private peer addresses. Never use it in production.
        """

    static func run(_ words: [String], console: Console) throws {
        if PraxisCLI.wantsHelp(words) { return console.out(help) }
        let args = try Arguments(words, options: ["data", "domain", "name", "federation", "listen"], flags: ["dev"],
                                 command: "init")
        try args.expectPositionals(0, "")
        let path = try args.required("data", "DIR (the folder to create the node in)")
        let domain = try args.required("domain", "HOST[:PORT] (the node's public name)").lowercased()
        let federation = try args.choice("federation", default: FederationMode.allowlist)
        let development = args.flag("dev")
        if let listen = args.value("listen") {
            _ = try PraxisNodeListen.parse(listen)
        }
        try Domain.validate(domain)
        let name = args.value("name") ?? domain
        guard !name.trimmingCharacters(in: .whitespaces).isEmpty, name.count <= 200 else {
            throw CLIError.usage("--name must be 1 to 200 characters")
        }
        let configuration = NodeConfiguration(
            domain: domain, name: name, federation: federation, development: development, listen: args.value("listen"))
        let store = try NodeSetup.initialise(directory: DataDirectory(path: path), configuration: configuration)
        console.out("Initialised node \(configuration.baseURL) in \(store.directory.root.path)")
        console.out("  federation: \(federation.rawValue)\(development ? "  (development mode: plain HTTP and local peers allowed)" : "")")
        console.out("  next: praxis user add --data \(path) NAME --role admin   then   praxis serve --data \(path)")
    }
}
