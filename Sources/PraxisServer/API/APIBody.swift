import PraxisHTTP
import PraxisJSON

/// The JSON object a client sent, parsed within limits, with typed access that names the field
/// at fault: a malformed document is 400, a member of the wrong type or a missing required one
/// is 422. Unknown members are ignored, so older servers accept newer clients.
struct APIBody: Sendable {
    /// Largest body of ordinary requests; posts get ``postMaxBytes``.
    static let maxBytes = 16 * 1024
    /// A post may hold 20,000 characters, up to four bytes each, plus escaping.
    static let postMaxBytes = 256 * 1024

    let object: JSONObject

    static func parse(_ request: HTTPRequest, maxBytes: Int = maxBytes) throws -> APIBody {
        guard !request.body.isEmpty else { throw APIError.badRequest("the request needs a JSON object as its body") }
        let limits = JSONLimits(maxBytes: maxBytes, maxDepth: 16, maxStringBytes: maxBytes, maxContainerElements: 1_000)
        guard case .object(let object) = try JSON.parse(request.body, limits: limits) else {
            throw APIError.badRequest("the request body must be a JSON object")
        }
        return APIBody(object: object)
    }

    /// A string member; nil when absent or null.
    func string(_ field: String) throws -> String? {
        switch object[field] {
        case nil, .null?: return nil
        case .string(let value)?: return value
        default: throw APIError.invalid("\"\(field)\" must be a string", field: field)
        }
    }

    func requiredString(_ field: String) throws -> String {
        guard let value = try string(field) else { throw APIError.invalid("\"\(field)\" is required", field: field) }
        return value
    }

    /// An array of strings, or nil when absent.
    func strings(_ field: String) throws -> [String]? {
        switch object[field] {
        case nil, .null?: return nil
        case .array(let items)?:
            return try items.map { item in
                guard let text = item.stringValue else { throw APIError.invalid("\"\(field)\" must be a list of strings", field: field) }
                return text
            }
        default: throw APIError.invalid("\"\(field)\" must be a list of strings", field: field)
        }
    }

    /// A string member that must be one of `allowed`.
    func choice<T: RawRepresentable>(_ field: String, as type: T.Type, allowed: [T]) throws -> T? where T.RawValue == String {
        guard let text = try string(field) else { return nil }
        guard let value = T(rawValue: text), allowed.contains(where: { $0.rawValue == value.rawValue }) else {
            let names = allowed.map { "\"\($0.rawValue)\"" }.joined(separator: ", ")
            throw APIError.invalid("\"\(field)\" must be one of \(names)", field: field)
        }
        return value
    }
}
