import PraxisJSON

/// An AS2 `OrderedCollection` summary (outbox, followers, moderators). Large collections publish
/// `totalItems` and a `first` page; small ones may inline `orderedItems`.
public struct OrderedCollectionDocument: Sendable {
    public var id: String
    public var totalItems: Int
    public var orderedItems: [JSON]?
    public var first: String?

    public init(id: String, totalItems: Int, orderedItems: [JSON]? = nil, first: String? = nil) {
        self.id = id
        self.totalItems = totalItems
        self.orderedItems = orderedItems
        self.first = first
    }

    public var json: JSON {
        var doc: JSONObject = [
            "@context": .string(ActivityStreams.context),
            "id": .string(id),
            "type": "OrderedCollection",
            "totalItems": .integer(Int64(totalItems)),
        ]
        if let orderedItems { doc["orderedItems"] = .array(orderedItems) }
        if let first { doc["first"] = .string(first) }
        return .object(doc)
    }
}
