import Foundation
import PraxisFederation

/// Rules for the names of members and communities, which become the user part of `acct:` URIs and
/// a path segment of actor ids, so they must stay simple and unambiguous.
public enum Names {
    public static let maxLength = 64

    /// Lowercase ASCII letters, digits and `_`, with `-` and `.` allowed inside; 1 to 64
    /// characters; not a reserved name.
    public static func validate(_ name: String, what: String) throws(CommunityError) {
        let bytes = Array(name.utf8)
        guard !bytes.isEmpty, bytes.count <= maxLength else {
            throw CommunityError(.invalid, "\(what) name must be 1 to \(maxLength) characters long")
        }
        func isAlnum(_ c: UInt8) -> Bool { (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c == 95 }
        guard bytes.allSatisfy({ isAlnum($0) || $0 == 45 || $0 == 46 }), isAlnum(bytes.first!), isAlnum(bytes.last!) else {
            throw CommunityError(
                .invalid,
                "\(what) name \"\(name)\" may contain only lowercase letters a-z, digits, '_', and '-' or '.' between them")
        }
        guard !NodeSetup.reservedUsernames.contains(name) else {
            throw CommunityError(.invalid, "\"\(name)\" is reserved; choose another \(what) name")
        }
    }

    /// Display names and titles: 1 to 200 characters, no control characters.
    public static func validateText(_ text: String, what: String, max: Int = 200, allowEmpty: Bool = false) throws(CommunityError) {
        if text.isEmpty && allowEmpty { return }
        guard !text.trimmingCharacters(in: .whitespaces).isEmpty, text.count <= max else {
            throw CommunityError(.invalid, "\(what) must be 1 to \(max) characters long")
        }
        guard !text.unicodeScalars.contains(where: { $0.properties.generalCategory == .control && $0 != "\n" }) else {
            throw CommunityError(.invalid, "\(what) must not contain control characters")
        }
    }
}
