/// A refused command line, printed as `praxis: MESSAGE` with a non-zero exit status.
public struct CLIError: Error, CustomStringConvertible, Equatable {
    public let message: String
    /// 2 for usage errors (as most Unix tools), 1 for failures while doing the work.
    public let status: Int32
    public init(_ message: String, status: Int32 = 1) {
        self.message = message
        self.status = status
    }
    public static func usage(_ message: String) -> CLIError { CLIError(message, status: 2) }
    public var description: String { message }
}

/// Parsed arguments of one command: `--name value` / `--name=value` options, `--flag` switches and
/// positional words. Anything not declared by the command is refused, so a typo never passes
/// silently.
struct Arguments {
    private(set) var positionals: [String] = []
    private var values: [String: String] = [:]
    private var present: Set<String> = []

    /// - Parameters:
    ///   - options: names (without `--`) that take a value.
    ///   - flags: names that take none.
    init(_ words: [String], options: Set<String>, flags: Set<String>, command: String) throws(CLIError) {
        var index = 0
        var onlyPositionals = false
        while index < words.count {
            let word = words[index]
            index += 1
            if onlyPositionals || !word.hasPrefix("--") || word == "-" {
                if word.hasPrefix("-") && word.count > 1 && !onlyPositionals && word != "-" {
                    throw .usage("unknown option \(word) for `praxis \(command)`; see `praxis \(command) --help`")
                }
                positionals.append(word)
                continue
            }
            if word == "--" {
                onlyPositionals = true
                continue
            }
            var name = String(word.dropFirst(2))
            var inlineValue: String?
            if let eq = name.firstIndex(of: "=") {
                inlineValue = String(name[name.index(after: eq)...])
                name = String(name[..<eq])
            }
            if flags.contains(name) {
                guard inlineValue == nil else { throw .usage("--\(name) takes no value") }
                present.insert(name)
            } else if options.contains(name) {
                let value: String
                if let inlineValue {
                    value = inlineValue
                } else {
                    guard index < words.count else { throw .usage("--\(name) needs a value") }
                    value = words[index]
                    index += 1
                }
                guard values[name] == nil else { throw .usage("--\(name) is given twice") }
                values[name] = value
                present.insert(name)
            } else {
                throw .usage("unknown option --\(name) for `praxis \(command)`; see `praxis \(command) --help`")
            }
        }
    }

    func flag(_ name: String) -> Bool { present.contains(name) }
    func value(_ name: String) -> String? { values[name] }

    func required(_ name: String, _ what: String) throws(CLIError) -> String {
        guard let v = values[name], !v.isEmpty else { throw .usage("--\(name) \(what) is required") }
        return v
    }

    /// A value that must be one of an enumeration's raw values.
    func choice<T: RawRepresentable & CaseIterable>(_ name: String, default defaultValue: T) throws(CLIError) -> T
    where T.RawValue == String {
        guard let raw = values[name] else { return defaultValue }
        guard let v = T(rawValue: raw) else {
            let allowed = T.allCases.map(\.rawValue).joined(separator: ", ")
            throw .usage("--\(name) must be one of: \(allowed) (got \"\(raw)\")")
        }
        return v
    }

    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws(CLIError) -> Int {
        guard let raw = values[name] else { return defaultValue }
        guard let v = Int(raw), range.contains(v) else {
            throw .usage("--\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound) (got \"\(raw)\")")
        }
        return v
    }

    func expectPositionals(_ count: Int, _ what: String) throws(CLIError) {
        guard positionals.count == count else {
            if positionals.count < count { throw .usage("missing \(what)") }
            throw .usage("unexpected argument \"\(positionals[count])\"")
        }
    }
}
