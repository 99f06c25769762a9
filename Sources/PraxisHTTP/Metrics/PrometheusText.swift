/// Builds a Prometheus text exposition (format 0.0.4): `# HELP` and `# TYPE` lines followed by
/// the family's samples, values as Go prints floats, label values escaped.
///
/// ```swift
/// var text = PrometheusText()
/// text.family("praxis_dead_letters", type: .gauge, help: "Activities that could not be processed.")
/// text.sample("praxis_dead_letters", value: 3)
/// response.body = Array(text.output.utf8)
/// ```
///
/// Names that are not valid metric or label names are rewritten (invalid characters become `_`),
/// so a bad name can never make the whole scrape unparseable.
public struct PrometheusText: Sendable {
    /// The media type of the exposition.
    public static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    public enum MetricType: String, Sendable {
        case counter, gauge, histogram, summary, untyped
    }

    public private(set) var output = ""

    public init() {}

    /// Starts a metric family: its help text and type.
    public mutating func family(_ name: String, type: MetricType, help: String) {
        let name = Self.metricName(name)
        output += "# HELP \(name) \(Self.escapeHelp(help))\n# TYPE \(name) \(type.rawValue)\n"
    }

    /// One sample line.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Double) {
        sample(name, labels: labels, formatted: Self.format(value))
    }

    /// One sample line with an integer value (printed exactly, whatever its size).
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: UInt64) {
        sample(name, labels: labels, formatted: String(value))
    }

    /// One sample line with an integer value.
    public mutating func sample(_ name: String, labels: [(String, String)] = [], value: Int) {
        sample(name, labels: labels, formatted: String(value))
    }

    private mutating func sample(_ name: String, labels: [(String, String)], formatted: String) {
        output += Self.metricName(name)
        if !labels.isEmpty {
            output += "{"
            output += labels.map { "\(Self.labelName($0.0))=\"\(Self.escapeLabelValue($0.1))\"" }.joined(separator: ",")
            output += "}"
        }
        output += " \(formatted)\n"
    }

    /// A whole histogram family: cumulative `_bucket` lines with `le`, then `_sum` and `_count`.
    public mutating func histogram(_ name: String, help: String, _ snapshot: HistogramSnapshot) {
        family(name, type: .histogram, help: help)
        for bucket in snapshot.cumulative {
            sample(name + "_bucket", labels: [("le", Self.format(bucket.upperBound))], value: bucket.count)
        }
        sample(name + "_sum", value: snapshot.sumSeconds)
        sample(name + "_count", value: snapshot.count)
    }

    // MARK: - Escaping and validity

    /// A float as the exposition format writes it: `+Inf`, `-Inf`, `NaN`, integers without a
    /// fraction, others in Swift's shortest round-tripping form (which Prometheus parses).
    public static func format(_ value: Double) -> String {
        if value.isNaN { return "NaN" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        if value == value.rounded(), abs(value) < 1e15 { return String(Int64(value)) }
        return String(value)
    }

    /// Label values escape backslash, double quote and line feed.
    public static func escapeLabelValue(_ value: String) -> String { escape(value, quote: true) }

    /// Help text escapes backslash and line feed.
    public static func escapeHelp(_ text: String) -> String { escape(text, quote: false) }

    private static func escape(_ text: String, quote: Bool) -> String {
        var escaped = ""
        escaped.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            case "\"" where quote: escaped += "\\\""
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped
    }

    /// True for `[a-zA-Z_:][a-zA-Z0-9_:]*`.
    public static func isValidMetricName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first) || first == UInt8(ascii: ":") else { return false }
        return name.utf8.allSatisfy { isNameStart($0) || isDigit($0) || $0 == UInt8(ascii: ":") }
    }

    /// True for `[a-zA-Z_][a-zA-Z0-9_]*` not starting with the reserved `__`.
    public static func isValidLabelName(_ name: String) -> Bool {
        guard let first = name.utf8.first, isNameStart(first), !name.hasPrefix("__") else { return false }
        return name.utf8.allSatisfy { isNameStart($0) || isDigit($0) }
    }

    static func metricName(_ name: String) -> String {
        if isValidMetricName(name) { return name }
        return sanitize(name, allowColon: true)
    }

    static func labelName(_ name: String) -> String {
        if isValidLabelName(name) { return name }
        var clean = sanitize(name, allowColon: false)
        while clean.hasPrefix("__") { clean.removeFirst() }
        return clean.isEmpty ? "_" : clean
    }

    private static func sanitize(_ name: String, allowColon: Bool) -> String {
        var bytes = name.utf8.map { byte -> UInt8 in
            isNameStart(byte) || isDigit(byte) || (allowColon && byte == UInt8(ascii: ":")) ? byte : UInt8(ascii: "_")
        }
        if bytes.first.map(isDigit) ?? true { bytes.insert(UInt8(ascii: "_"), at: 0) }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isNameStart(_ byte: UInt8) -> Bool {
        (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_")
    }

    private static func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }
}
