import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisJSON
import PraxisSQLite
import PraxisStorage

/// A trust list that cannot be used as given, with the reason.
public struct TrustListError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// A node's trust list as a portable JSON document (`praxis:TrustList`), signed by the node
/// actor's Ed25519 key with a Data Integrity proof (`eddsa-jcs-2022`), so anyone who has the
/// issuer's actor document can check who published it. Specified in Protocol/transport.md.
///
/// ```swift
/// let list = try TrustListDocument.current(urls: urls, mode: .allowlist, db: db)
/// let signed = try list.signed(with: keyring.keys(for: NodeSetup.nodeActorUsername))
/// let parsed = try TrustListDocument(parsing: signed)   // structure only; verify separately
/// ```
public struct TrustListDocument: Sendable, Equatable {
    public static let type = "praxis:TrustList"
    /// The path a node publishes its list at.
    public static let path = "/trust-list"
    /// Entries a list may hold; more is refused rather than imported in part.
    public static let maxEntries = 10_000

    public struct Entry: Sendable, Equatable {
        public var domain: String
        public var level: TrustLevel
        public var note: String
        public init(domain: String, level: TrustLevel, note: String = "") {
            self.domain = domain.lowercased()
            self.level = level
            self.note = note
        }
    }

    public var id: String
    /// The issuing node's actor (`BASE/actor`), whose key signs the list.
    public var issuer: String
    public var issued: Date
    public var mode: FederationMode
    public var entries: [Entry]

    public init(id: String, issuer: String, issued: Date, mode: FederationMode, entries: [Entry]) {
        self.id = id
        self.issuer = issuer
        self.issued = issued
        self.mode = mode
        self.entries = entries
    }

    /// The `@context`: AS2, Data Integrity (for `proof`) and the Praxis terms of the list.
    public static let context: JSON = [
        .string(ActivityStreams.context), .string(ActivityStreams.dataIntegrityContext),
        [
            "praxis": .string(ActivityStreams.praxisNamespace),
            "issuer": ["@id": "praxis:issuer", "@type": "@id"],
            "issued": "praxis:issued",
            "mode": "praxis:federationMode",
            "entries": "praxis:entries",
            "domain": "praxis:domain",
            "level": "praxis:trustLevel",
            "note": "praxis:note",
        ],
    ]

    /// This node's list as it stands now.
    public static func current(urls: NodeURLs, mode: FederationMode, db: Connection, now: Date = Date()) throws
        -> TrustListDocument
    {
        TrustListDocument(
            id: urls.base + path, issuer: urls.nodeActor, issued: now, mode: mode,
            entries: try TrustRepository(db).all().map { Entry(domain: $0.domain, level: $0.level, note: $0.note) })
    }

    /// The unsigned document.
    public var json: JSON {
        var object: JSONObject = [
            "@context": Self.context, "id": .string(id), "type": .string(Self.type), "issuer": .string(issuer),
            "issued": .string(ISO8601.string(issued)), "mode": .string(mode.rawValue),
        ]
        object["entries"] = .array(entries.map { entry in
            var item: JSONObject = ["domain": .string(entry.domain), "level": .string(entry.level.rawValue)]
            if !entry.note.isEmpty { item["note"] = .string(entry.note) }
            return .object(item)
        })
        return .object(object)
    }

    /// The document with a proof made with the issuer's current Ed25519 key.
    public func signed(with keys: LocalKeyring.SigningKeys, now: Date = Date()) throws -> JSON {
        try EddsaJcs2022.sign(json, key: keys.ed25519, verificationMethod: keys.ed25519KeyID, created: now)
    }

    /// Reads a list's structure (not its proof: see ``verify(_:issuerKey:)``).
    /// - Throws: ``TrustListError`` naming the first field that is missing or wrong.
    public init(parsing document: JSON) throws {
        guard case .object = document else { throw TrustListError("a trust list must be a JSON object") }
        guard document["type"]?.stringValue == Self.type else {
            throw TrustListError("\"type\" must be \"\(Self.type)\"")
        }
        guard let issuer = document["issuer"]?.linkID, issuer.hasPrefix("https://") || issuer.hasPrefix("http://") else {
            throw TrustListError("\"issuer\" must be the issuing node's actor URL")
        }
        guard let issuedText = document["issued"]?.stringValue, let issued = ISO8601.date(issuedText) else {
            throw TrustListError("\"issued\" must be a date-time such as 2025-01-31T12:00:00Z")
        }
        guard let modeText = document["mode"]?.stringValue, let mode = FederationMode(rawValue: modeText) else {
            throw TrustListError("\"mode\" must be allowlist or open")
        }
        guard let items = document["entries"]?.arrayValue else {
            throw TrustListError("\"entries\" must be an array of {domain, level, note?}")
        }
        guard items.count <= Self.maxEntries else {
            throw TrustListError("the list has \(items.count) entries; at most \(Self.maxEntries) are accepted")
        }
        var entries: [Entry] = []
        var seen: Set<String> = []
        for (position, item) in items.enumerated() {
            guard let domain = item["domain"]?.stringValue?.lowercased() else {
                throw TrustListError("entry \(position + 1): \"domain\" must be a host or host:port")
            }
            do {
                try Domain.validate(domain)
            } catch {
                throw TrustListError("entry \(position + 1): \(error)")
            }
            guard let levelText = item["level"]?.stringValue, let level = TrustLevel(rawValue: levelText) else {
                throw TrustListError("entry \(position + 1) (\(domain)): \"level\" must be trusted, limited or blocked")
            }
            let note = item["note"]?.stringValue ?? ""
            guard note.count <= 500 else { throw TrustListError("entry \(position + 1) (\(domain)): \"note\" is over 500 characters") }
            guard seen.insert(domain).inserted else { throw TrustListError("entry \(position + 1): \(domain) is listed twice") }
            entries.append(Entry(domain: domain, level: level, note: note))
        }
        self.init(id: document["id"]?.stringValue ?? "", issuer: issuer, issued: issued, mode: mode, entries: entries)
    }

    /// Checks the list's proof: there must be one, made by a key of the issuer.
    /// - Parameter issuerKey: returns the Ed25519 key of a verification method after checking
    ///   that the method belongs to the issuer; its errors are rethrown.
    /// - Throws: ``TrustListError`` when the list is unsigned or its proof does not verify.
    public static func verify(_ document: JSON, issuerKey: (String) throws -> Ed25519PublicKey) throws {
        guard document["proof"] != nil else {
            throw TrustListError("the trust list carries no proof, so who published it cannot be checked")
        }
        do {
            try EddsaJcs2022.verify(document, resolveKey: issuerKey)
        } catch let error as ProofError {
            throw TrustListError("the trust list's proof does not verify: \(error.message)")
        }
    }

    /// The verification method named by the document's (first) proof.
    public static func verificationMethod(of document: JSON) -> String? {
        let proof = document["proof"]
        return (proof?.arrayValue?.first ?? proof)?["verificationMethod"]?.stringValue
    }
}

/// What applying a list would change: entries added, removed and changed in level (or note).
public struct TrustListDiff: Sendable, Equatable {
    public struct Change: Sendable, Equatable {
        public var domain: String
        public var from: TrustLevel
        public var to: TrustLevel
        public var note: String
        public init(domain: String, from: TrustLevel, to: TrustLevel, note: String = "") {
            self.domain = domain
            self.from = from
            self.to = to
            self.note = note
        }
    }

    public var added: [TrustListDocument.Entry]
    public var removed: [TrustListDocument.Entry]
    public var changed: [Change]

    public var isEmpty: Bool { added.isEmpty && removed.isEmpty && changed.isEmpty }

    /// The difference from `current` to `proposed`, by domain. Entries naming `localDomain` (the
    /// node itself, which always trusts itself) are left out.
    public init(from current: [TrustListDocument.Entry], to proposed: [TrustListDocument.Entry], localDomain: String) {
        let local = localDomain.lowercased()
        let old = Dictionary(current.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        let new = Dictionary(proposed.map { ($0.domain, $0) }, uniquingKeysWith: { first, _ in first })
        added = proposed.filter { old[$0.domain] == nil && $0.domain != local }.sorted { $0.domain < $1.domain }
        removed = current.filter { new[$0.domain] == nil && $0.domain != local }.sorted { $0.domain < $1.domain }
        changed = proposed.compactMap { entry -> Change? in
            guard entry.domain != local, let before = old[entry.domain], before.level != entry.level || before.note != entry.note
            else { return nil }
            return Change(domain: entry.domain, from: before.level, to: entry.level, note: entry.note)
        }.sorted { $0.domain < $1.domain }
    }

    /// Only the parts that concern `domains` (for accepting a review one domain at a time).
    public func restricted(to domains: Set<String>) -> TrustListDiff {
        var diff = self
        diff.added = added.filter { domains.contains($0.domain) }
        diff.removed = removed.filter { domains.contains($0.domain) }
        diff.changed = changed.filter { domains.contains($0.domain) }
        return diff
    }

    /// Writes the difference to the node's trust list.
    public func apply(db: Connection, now: Date = Date()) throws {
        let trust = TrustRepository(db)
        for entry in added { try trust.set(TrustEntry(domain: entry.domain, level: entry.level, note: entry.note, updatedAt: now)) }
        for change in changed {
            try trust.set(TrustEntry(domain: change.domain, level: change.to, note: change.note, updatedAt: now))
        }
        for entry in removed { try trust.remove(domain: entry.domain) }
    }

    /// One line per difference, `+ domain level`, `- domain level`, `~ domain from -> to`.
    public var lines: [String] {
        added.map { "+ \($0.domain) \($0.level.rawValue)" + ($0.note.isEmpty ? "" : " (\($0.note))") }
            + removed.map { "- \($0.domain) \($0.level.rawValue)" }
            + changed.map { "~ \($0.domain) \($0.from.rawValue) -> \($0.to.rawValue)" }
    }
}

extension TrustEntry {
    /// The entry as a trust-list document entry.
    public var listEntry: TrustListDocument.Entry { .init(domain: domain, level: level, note: note) }
}
