import Foundation

/// The operations of `Protocol/openapi.yaml`, as far as the contract tests need them: method and
/// path, whether the operation is public, whether it takes input (a body or query parameters),
/// and the statuses it documents with whether each promises a body.
///
/// The specification is read line by line, relying on its layout (two-space indents, one key per
/// line): the toolchain has no YAML parser and the package takes no dependencies.
/// `python3 -m openapi_spec_validator` checks the file itself.
struct OpenAPIOperations {
    struct Operation: Sendable, CustomStringConvertible {
        var method: String
        /// The path as the specification writes it (`/communities/{name}`).
        var path: String
        /// The path prefix it is served under: `/api/v1`, or nothing for path items with their own
        /// server (the Atom feed).
        var base = "/api/v1"
        var isPublic = false
        var hasBody = false
        var queryParameters: [String] = []
        /// Documented statuses, each with whether the specification gives it content.
        var responses: [Int: Bool] = [:]

        var takesInput: Bool { hasBody || !queryParameters.isEmpty }
        var key: String { "\(method) \(path)" }
        var description: String { key }
    }

    let operations: [String: Operation]

    static let shared: Result<OpenAPIOperations, any Error> = Result { try OpenAPIOperations(url: specificationURL) }

    static var specificationURL: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Protocol/openapi.yaml")
    }

    init(url: URL) throws {
        let lines = try String(contentsOf: url, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            .map(String.init)
        func indent(_ line: String) -> Int { line.prefix { $0 == " " }.count }
        func key(_ line: String) -> String { line.trimmingCharacters(in: .whitespaces) }
        func quotedStatus(_ text: String) -> Int? {
            guard text.hasPrefix("'"), text.hasSuffix("':") else { return nil }
            return Int(text.dropFirst().dropLast(2))
        }
        func reference(_ text: String, _ section: String) -> String? {
            let prefix = "$ref: '#/components/\(section)/"
            guard text.hasPrefix(prefix), text.hasSuffix("'") else { return nil }
            return String(text.dropFirst(prefix.count).dropLast())
        }

        // Components first: which shared responses have content, where shared parameters go.
        var responseContent: [String: Bool] = [:]
        var parameterPlace: [String: String] = [:]
        var section = ""
        var name = ""
        var inComponents = false
        for line in lines {
            let text = key(line)
            if indent(line) == 0 && !text.isEmpty { inComponents = text == "components:" }
            guard inComponents, !text.isEmpty else { continue }
            switch indent(line) {
            case 2: section = String(text.dropLast())
            case 4: name = String(text.dropLast())
                if section == "responses" { responseContent[name] = false }
            case 6 where section == "responses" && text == "content:": responseContent[name] = true
            case 6 where section == "parameters" && text.hasPrefix("in: "): parameterPlace[name] = String(text.dropFirst(4))
            default: break
            }
        }

        var operations: [String: Operation] = [:]
        var inPaths = false
        var path = ""
        var pathBase = "/api/v1"
        var pathQuery: [String] = []
        var current: Operation?
        var inResponses = false
        var status: Int?
        var parameterName = ""
        func finish() {
            if let op = current { operations[op.key] = op }
            current = nil
        }
        for line in lines {
            let text = key(line)
            guard !text.isEmpty else { continue }
            let level = indent(line)
            if level == 0 {
                if inPaths { finish() }
                inPaths = text == "paths:"
                continue
            }
            guard inPaths else { continue }
            switch level {
            case 2:
                finish()
                path = String(text.dropLast())
                pathBase = "/api/v1"
                pathQuery = []
            case 4:
                if ["get:", "post:", "put:", "patch:", "delete:"].contains(text) {
                    finish()
                    current = Operation(method: text.dropLast().uppercased(), path: path, base: pathBase,
                                        queryParameters: pathQuery)
                    inResponses = false
                } else if text == "servers:" {
                    pathBase = ""
                }
            default:
                // Parameters, of the path item (before any operation) or of the operation.
                if text.hasPrefix("- name: ") { parameterName = String(text.dropFirst(8)) }
                if text == "in: query" || text == "- in: query" {
                    if current != nil { current?.queryParameters.append(parameterName) } else { pathQuery.append(parameterName) }
                }
                if let shared = reference(text.hasPrefix("- ") ? String(text.dropFirst(2)) : text, "parameters"),
                    parameterPlace[shared] == "query"
                {
                    if current != nil { current?.queryParameters.append(shared) } else { pathQuery.append(shared) }
                }
                guard current != nil else { continue }
                if level == 6 {
                    inResponses = text == "responses:"
                    if text == "security: []" { current?.isPublic = true }
                    if text == "requestBody:" { current?.hasBody = true }
                } else if inResponses, level == 8, let code = quotedStatus(text) {
                    status = code
                    current?.responses[code] = false
                } else if inResponses, level == 10, let code = status {
                    if text == "content:" { current?.responses[code] = true }
                    if let shared = reference(text, "responses") { current?.responses[code] = responseContent[shared] ?? false }
                }
            }
        }
        finish()
        self.operations = operations
    }
}
