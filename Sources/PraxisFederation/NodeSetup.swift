import Foundation
import PraxisStorage

/// Creating a node: the data folder, its database and the node's own `Application` actor.
public enum NodeSetup {
    /// The preferred username of the node actor (`acct:node@DOMAIN`); reserved for it.
    public static let nodeActorUsername = "node"

    /// Names no member or community may take: the node actor's and path segments of our routes.
    public static let reservedUsernames: Set<String> = [
        nodeActorUsername, "actor", "inbox", "outbox", "api", "nodeinfo", "well-known", "static", "assets",
        "users", "communities", "login", "logout", "settings", "search", "about", "metrics", "ns", "admin-api",
    ]

    /// Initialises `directory` as a new node and creates its actor with fresh keys.
    /// - Throws: `StorageError` when the folder already holds a node, the domain is invalid or the
    ///   folder cannot be written.
    @discardableResult
    public static func initialise(directory: DataDirectory, configuration: NodeConfiguration) throws -> NodeStore {
        try Domain.validate(configuration.domain)
        let keys = try ActorKeyFactory.generate()
        let store = try NodeStore.create(directory: directory, configuration: configuration)
        _ = try store.database.write { db in
            try ActorRepository(db).insert(
                kind: .application, username: nodeActorUsername, displayName: configuration.name,
                summary: "The Praxis node \(configuration.domain).", keys: keys)
        }
        return store
    }
}
