import Foundation
import PraxisActivityStreams
import PraxisCommunity
import PraxisFederation
import PraxisStorage
import PraxisText

/// The Atom 1.0 digest (RFC 4287) of a member's notifications.
///
/// Every text is escaped, and characters XML 1.0 cannot carry at all (most control characters)
/// are dropped, so whatever a remote node sent, the document stays well-formed. Entries say who
/// did what, with the title of a thread only when the member may read it (the service decides):
/// no post text ever goes into the feed, which a feed reader may keep outside the node.
enum NotificationFeed {
    static func atom(account: Account, items: [NotificationService.Item], urls: NodeURLs, nodeName: String) -> String {
        let me = urls.actor(account.actor)
        let updated = items.first?.record.createdAt ?? Date(timeIntervalSince1970: 0)
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <id>\(escape(me + "#notifications"))</id>
            <title>\(escape("\(nodeName): notifications for \(account.actor.displayName)"))</title>
            <updated>\(ISO8601.string(updated))</updated>
            <author><name>\(escape(nodeName))</name></author>
            <link rel="alternate" type="text/html" href="\(escape(urls.base + "/"))"/>

            """
        for item in items {
            let record = item.record
            let link = record.thread ?? record.object.flatMap { $0.hasPrefix("http") ? $0 : nil } ?? record.community
            xml += "<entry>\n"
            xml += "<id>\(escape(me + "#notification-\(record.id)"))</id>\n"
            xml += "<title>\(escape(sentence(item, urls: urls)))</title>\n"
            xml += "<updated>\(ISO8601.string(record.createdAt))</updated>\n"
            xml += "<category term=\"\(escape(record.kind.rawValue))\"/>\n"
            if let link { xml += "<link rel=\"alternate\" href=\"\(escape(link))\"/>\n" }
            xml += "</entry>\n"
        }
        xml += "</feed>\n"
        return xml
    }

    /// One line saying what happened, e.g. `@ana@example.org replied to “Thresholds”`.
    static func sentence(_ item: NotificationService.Item, urls: NodeURLs) -> String {
        let record = item.record
        let actor = handle(record.actor, urls: urls)
        let community = record.community.map { handle($0, urls: urls) } ?? "a community"
        let about = item.title.map { "“\($0)”" }
        switch record.kind {
        case .reply: return "\(actor) replied to \(about ?? "your post")"
        case .mention: return "\(actor) mentioned you in \(about ?? "a post")"
        case .invitation: return "\(actor) invited you to join \(community)"
        case .joinAccepted: return "Your request to join \(community) was accepted"
        case .joinRejected: return "Your request to join \(community) was declined"
        case .acceptedAnswer: return "\(actor) accepted your answer to \(about ?? "their question")"
        case .warning: return "The moderators of \(community) warned you"
        case .ban: return "You were banned from \(community)"
        case .removal: return "A moderator of \(community) removed your post"
        }
    }

    /// `@name@host` for an actor id: the last path segment and the authority of the URL.
    static func handle(_ actorID: String, urls: NodeURLs) -> String {
        if let reference = urls.localActorReference(actorID) { return "@\(reference.username)@\(urls.domain)" }
        guard let components = URLComponents(string: actorID), let host = components.host,
            let name = components.path.split(separator: "/").last
        else { return actorID }
        return "@\(name)@\(host)" + (components.port.map { ":\($0)" } ?? "")
    }

    /// Escapes text for element content and attribute values (``HTMLEscape``'s five character
    /// references are XML's too), after dropping the characters XML 1.0 cannot carry at all.
    static func escape(_ text: String) -> String {
        var kept = String.UnicodeScalarView()
        kept.append(contentsOf: text.unicodeScalars.filter { scalar in
            let v = scalar.value
            return v == 0x9 || v == 0xA || v == 0xD || (0x20...0xD7FF).contains(v) || (0xE000...0xFFFD).contains(v)
                || (0x10000...0x10FFFF).contains(v)
        })
        return HTMLEscape.text(String(kept))
    }
}
