import Foundation
import PraxisActivityStreams
import PraxisCrypto
import PraxisHTTP
import PraxisJSON

/// Turns a fetched (or cached) actor document into a ``RemoteActor``, refusing anything that
/// could let one host speak for another: the inbox and every key must live on the actor's host,
/// and every key must name this actor as its owner.
enum RemoteActorParser {
    /// - Parameters:
    ///   - document: the JSON object whose `id` was already checked against the fetched URL.
    ///   - id: that `id`.
    static func parse(_ document: JSON, id: String, fetchedAt: Date) throws -> RemoteActor {
        let domain = try RemoteURL.authority(of: id, what: "actor id")
        guard let type = actorType(document["type"]) else {
            let found = document["type"].map { $0.description.prefix(80) } ?? "no type"
            throw DereferenceError(
                .notAnActor, url: id,
                "\(id) is not an actor: its type is \(found), expected one of Person, Group, Application, Service, Organization")
        }
        guard let inbox = document["inbox"]?.stringValue else {
            throw DereferenceError(.malformed, url: id, "the actor \(id) has no inbox (a string URL is required)")
        }
        let inboxDomain = try? RemoteURL.authority(of: inbox, what: "inbox")
        guard inboxDomain == domain else {
            throw DereferenceError(
                .inboxOnOtherHost, url: id,
                "the actor \(id) names an inbox on another host (\(inbox.prefix(200))); an inbox must be on the actor's own host \(domain)")
        }
        // A shared inbox elsewhere is ignored rather than refused: the actor's own inbox still works.
        var sharedInbox = document["endpoints"]?["sharedInbox"]?.stringValue
        if let shared = sharedInbox, (try? RemoteURL.authority(of: shared, what: "shared inbox")) != domain {
            sharedInbox = nil
        }

        var rsaKey: RemoteKey?
        var ed25519Keys: [RemoteKey] = []
        for entry in members(document["publicKey"]) {
            guard case .object = entry else { continue }
            let key = try keyEntry(entry, ownerMember: "owner", actorID: id, domain: domain)
            guard let pem = entry["publicKeyPem"]?.stringValue else {
                throw DereferenceError(.malformed, url: id, "the key \(key.id) of \(id) has no publicKeyPem")
            }
            if let rsa = try? RSAPublicKey(pem: pem) {
                if rsaKey == nil { rsaKey = RemoteKey(id: key.id, owner: id, material: .rsa(rsa)) }
            } else if let ed = try? Ed25519PublicKey(pem: pem) {
                ed25519Keys.append(RemoteKey(id: key.id, owner: id, material: .ed25519(ed)))
            } else {
                throw DereferenceError(
                    .malformed, url: id, "the publicKeyPem of key \(key.id) of \(id) is not an RSA or Ed25519 public key")
            }
        }
        for entry in members(document["assertionMethod"]) {
            // String entries only reference keys published elsewhere; Multikey objects carry them.
            guard case .object = entry, let multibase = entry["publicKeyMultibase"]?.stringValue else { continue }
            let key = try keyEntry(entry, ownerMember: "controller", actorID: id, domain: domain)
            // Other algorithms (P-256, ...) are legitimate but not used by Praxis: skipped.
            guard let ed = try? Ed25519PublicKey(multikey: multibase) else { continue }
            ed25519Keys.append(
                RemoteKey(
                    id: key.id, owner: id, material: .ed25519(ed),
                    created: entry["created"]?.stringValue.flatMap(ISO8601.date),
                    expires: entry["expires"]?.stringValue.flatMap(ISO8601.date)))
        }

        return RemoteActor(
            id: id, type: type, preferredUsername: document["preferredUsername"]?.stringValue,
            name: document["name"]?.stringValue, domain: domain, inbox: inbox, sharedInbox: sharedInbox,
            followers: document["followers"]?.stringValue, rsaKey: rsaKey, ed25519Keys: ed25519Keys,
            fetchedAt: fetchedAt, document: document)
    }

    /// The first actor type among `type` (a string, or an array as JSON-LD allows).
    static func actorType(_ value: JSON?) -> String? {
        members(value).compactMap(\.stringValue).first { RemoteActor.actorTypes.contains($0) }
    }

    /// A member that JSON-LD allows as one value or an array of values.
    static func members(_ value: JSON?) -> [JSON] {
        switch value {
        case .none, .null?: []
        case .array(let items)?: items
        case let single?: [single]
        }
    }

    /// Checks a key entry's id and owner: the owner (or controller) must be the actor, the id must
    /// be on the actor's host.
    private static func keyEntry(_ entry: JSON, ownerMember: String, actorID: String, domain: String) throws
        -> (id: String, owner: String)
    {
        guard let keyID = entry["id"]?.stringValue else {
            throw DereferenceError(.malformed, url: actorID, "a key of \(actorID) has no id")
        }
        guard let owner = entry[ownerMember]?.stringValue, owner == actorID else {
            let found = entry[ownerMember]?.stringValue.map { "'\($0.prefix(200))'" } ?? "missing"
            throw DereferenceError(
                .keyOwnerMismatch, url: actorID,
                "the key \(keyID.prefix(200)) listed by \(actorID) has \(ownerMember) \(found); it must be the actor itself")
        }
        guard (try? RemoteURL.authority(of: keyID, what: "key id")) == domain else {
            throw DereferenceError(
                .keyOnOtherHost, url: actorID,
                "the key \(keyID.prefix(200)) listed by \(actorID) is not on the actor's host \(domain)")
        }
        return (keyID, owner)
    }
}

/// URL checks shared by the directory.
enum RemoteURL {
    /// The authority (`host[:port]`, lowercase, port only when not the default) of an absolute
    /// http(s) URL, as the trust list names nodes.
    static func authority(of url: String, what: String) throws -> String {
        do {
            return try HTTPClientURL(url).authority
        } catch let error as HTTPClientError {
            throw DereferenceError(.invalidURL, url: url, "the \(what) is not a usable URL: \(error.message)")
        }
    }

    /// The URL without its fragment.
    static func withoutFragment(_ url: String) -> String {
        url.firstIndex(of: "#").map { String(url[..<$0]) } ?? url
    }
}
