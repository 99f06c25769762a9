import Foundation

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Where the command line reads and writes, injectable so commands are tested in-process.
public struct Console: Sendable {
    public var out: @Sendable (String) -> Void
    public var err: @Sendable (String) -> Void
    public var environment: [String: String]
    /// Asks for a secret without echo; nil when no terminal is available.
    public var readSecret: @Sendable (String) -> String?

    public init(out: @escaping @Sendable (String) -> Void, err: @escaping @Sendable (String) -> Void,
                environment: [String: String], readSecret: @escaping @Sendable (String) -> String?) {
        self.out = out
        self.err = err
        self.environment = environment
        self.readSecret = readSecret
    }

    /// The process's standard streams and environment.
    public static var standard: Console {
        Console(
            out: { text in
                FileHandle.standardOutput.write(Data((text + "\n").utf8))
            },
            err: { text in
                FileHandle.standardError.write(Data((text + "\n").utf8))
            },
            environment: ProcessInfo.processInfo.environment,
            readSecret: { prompt in Console.promptWithoutEcho(prompt) })
    }

    /// Reads one line from the terminal with echo off. Returns nil when standard input is not a
    /// terminal, so scripts must use the environment variable instead of hanging on a prompt.
    static func promptWithoutEcho(_ prompt: String) -> String? {
        guard isatty(STDIN_FILENO) == 1 else { return nil }
        FileHandle.standardError.write(Data(prompt.utf8))
        var original = termios()
        tcgetattr(STDIN_FILENO, &original)
        var silent = original
        silent.c_lflag &= ~tcflag_t(ECHO)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &silent)
        defer {
            tcsetattr(STDIN_FILENO, TCSAFLUSH, &original)
            FileHandle.standardError.write(Data("\n".utf8))
        }
        return readLine(strippingNewline: true)
    }
}
