import PraxisJSON

/// Constants of Activity Streams 2.0 and the vocabularies Praxis documents use.
public enum ActivityStreams {
    /// The AS2 JSON-LD context.
    public static let context = "https://www.w3.org/ns/activitystreams"
    /// Security vocabulary v1 (`publicKey`, `publicKeyPem`), as Mastodon expects for actor keys.
    public static let securityContext = "https://w3id.org/security/v1"
    /// Multikey (`assertionMethod` entries with `publicKeyMultibase`), FEP-521a.
    public static let multikeyContext = "https://w3id.org/security/multikey/v1"
    /// Data Integrity (`proof`), FEP-8b32.
    public static let dataIntegrityContext = "https://w3id.org/security/data-integrity/v1"
    /// The namespace of Praxis extension terms (documented in Protocol/federation.md). Terms are
    /// defined by an inline context object, so no receiver ever has to fetch a context.
    public static let praxisNamespace = "https://w3id.org/praxis/ns#"

    /// The inline context object defining the Praxis terms used in documents.
    public static let praxisContext: JSON = [
        "praxis": .string(praxisNamespace),
        "parent": ["@id": "praxis:parent", "@type": "@id"],
        "visibility": "praxis:visibility",
        "joinPolicy": "praxis:joinPolicy",
        "theme": "praxis:theme",
        "languages": "praxis:languages",
        "affiliation": "praxis:affiliation",
        "kind": "praxis:kind",
        "acceptedAnswer": ["@id": "praxis:acceptedAnswer", "@type": "@id"],
        "manuallyApprovesFollowers": "as:manuallyApprovesFollowers",
        "as": "https://www.w3.org/ns/activitystreams#",
    ]

    /// The special collection meaning "everyone".
    public static let publicCollection = "https://www.w3.org/ns/activitystreams#Public"

    /// The preferred media type of AS2 documents.
    public static let mediaType = "application/activity+json"
    /// The JSON-LD media type with the AS2 profile, equivalent to `mediaType`.
    public static let ldMediaType = "application/ld+json; profile=\"https://www.w3.org/ns/activitystreams\""

    /// The `@context` of actor documents: AS2, security v1 for the RSA `publicKey`, Multikey for
    /// the Ed25519 `assertionMethod`, and the Praxis terms.
    /// The `@context` of content Praxis publishes (threads, replies): AS2 and the Praxis terms.
    public static let contentContext: JSON = [.string(context), .string(dataIntegrityContext), praxisContext]

    public static let actorContext: JSON = [
        .string(context), .string(securityContext), .string(multikeyContext), praxisContext,
    ]
}
