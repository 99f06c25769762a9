import Foundation
import PraxisCommunity
import PraxisFederation
import PraxisHTTP
import PraxisServer
import PraxisStorage

/// The `praxis` command line: the operator's contract (see README "Operating a node").
///
/// Every command works on a node's data folder whether or not `praxis serve` runs on it, prints
/// machine-readable output with `--json` where it lists things, and exits non-zero with a clear
/// message on bad input.
public enum PraxisCLI {
    static let overview = """
        praxis — run a Praxis node (federated communities of practice in public procurement)

        Usage: praxis COMMAND [OPTIONS]

        Commands:
          init       Create a node in a data folder
          serve      Run a node
          demo       Start several local nodes, seeded, federating; print their URLs
          user       Add, list, approve or suspend member accounts
          community  Create or list communities
          trust      Add, remove or list nodes on the trust list
          federation Delivery and inbox queues, dead letters, failed deliveries
          keys       Rotate or list the signing keys of the node, a member or a community
          audit      List what operators did (trust, accounts, roles)
          version    Print the version

        Run `praxis COMMAND --help` for the options of a command.
        """

    /// Runs the command line and returns the process exit status.
    public static func run(_ arguments: [String], console: Console = .standard) async -> Int32 {
        var words = Array(arguments.dropFirst())
        guard let command = words.first else {
            console.err(overview)
            return 2
        }
        words.removeFirst()
        do {
            switch command {
            case "init": try InitCommand.run(words, console: console)
            case "serve": try await ServeCommand.run(words, console: console)
            case "demo": try await DemoCommand.run(words, console: console)
            case "user": try UserCommand.run(words, console: console)
            case "community": try CommunityCommand.run(words, console: console)
            case "trust": try await TrustCommand.run(words, console: console)
            case "federation": try FederationCommand.run(words, console: console)
            case "keys": try KeysCommand.run(words, console: console)
            case "audit": try AuditCommand.run(words, console: console)
            case "version", "--version": console.out("praxis \(NodeInfo.softwareVersion)")
            case "help", "--help", "-h": console.out(overview)
            default:
                throw CLIError.usage("unknown command \"\(command)\"; run `praxis --help` to see the commands")
            }
            return 0
        } catch let error as CLIError {
            console.err("praxis: \(error.message)")
            return error.status
        } catch let error as CommunityError {
            console.err("praxis: \(error.message)")
            return 1
        } catch let error as StorageError {
            console.err("praxis: \(error.description)")
            return 1
        } catch {
            console.err("praxis: \(error)")
            return 1
        }
    }

    /// True when the words ask for help; the command then prints its usage and succeeds.
    static func wantsHelp(_ words: [String]) -> Bool {
        words.contains("--help") || words.contains("-h")
    }

    /// Opens the node of `--data`, with a message that says what to do when there is none.
    static func openStore(_ args: Arguments) throws -> NodeStore {
        let path = try args.required("data", "DIR (the node's data folder)")
        return try NodeStore(directory: DataDirectory(path: path), readers: 1)
    }
}

/// JSON output for `--json` listings (Foundation's encoder: stable key order, no escaped slashes).
func jsonLines<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    encoder.dateEncodingStrategy = .iso8601
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}

/// Pads columns for human-readable tables.
func table(_ rows: [[String]]) -> String {
    guard let first = rows.first else { return "" }
    var widths = Array(repeating: 0, count: first.count)
    for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], cell.count) } }
    return rows.map { row in
        row.enumerated().map { i, cell in
            i == row.count - 1 ? cell : cell + String(repeating: " ", count: widths[i] - cell.count)
        }.joined(separator: "  ")
    }.joined(separator: "\n")
}
