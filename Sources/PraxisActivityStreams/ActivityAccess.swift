import PraxisJSON

/// Reading AS2 properties that may be given as a link (a URL string) or an embedded object.
extension JSON {
    /// The id named by a property value: the string itself, or the `id` of an embedded object.
    public var linkID: String? {
        switch self {
        case .string(let s): s
        case .object(let o): o["id"]?.stringValue
        default: nil
        }
    }

    /// The AS2 `type` as a single string (the first one when a list is given).
    public var asType: String? {
        switch self["type"] {
        case .string(let s)?: s
        case .array(let a)?: a.first?.stringValue
        default: nil
        }
    }

    /// Every id listed by an addressing property (`to`, `cc`, `audience`), which may be one link or
    /// an array of links.
    public func addresses(_ property: String) -> [String] {
        switch self[property] {
        case .array(let items)?: items.compactMap(\.linkID)
        case let value?: value.linkID.map { [$0] } ?? []
        case nil: []
        }
    }

    /// True when the activity or object is addressed to the public collection.
    public var isPublic: Bool {
        let publicIDs: Set<String> = [ActivityStreams.publicCollection, "as:Public", "Public"]
        return (addresses("to") + addresses("cc")).contains { publicIDs.contains($0) }
    }
}

/// Builds activities as Praxis sends them.
public enum ActivityBuilder {
    /// An activity with the AS2 context, id, type, actor, object and addressing.
    public static func activity(id: String, type: String, actor: String, object: JSON, to: [String] = [],
                                cc: [String] = [], audience: String? = nil, published: String? = nil) -> JSON {
        var doc: JSONObject = [
            "@context": .string(ActivityStreams.context),
            "id": .string(id),
            "type": .string(type),
            "actor": .string(actor),
            "object": object,
        ]
        if !to.isEmpty { doc["to"] = .array(to.map(JSON.string)) }
        if !cc.isEmpty { doc["cc"] = .array(cc.map(JSON.string)) }
        if let audience { doc["audience"] = .string(audience) }
        if let published { doc["published"] = .string(published) }
        return .object(doc)
    }
}
