import Foundation

/// XML Schema `dateTime` values, the form Data Integrity uses for `created` and `expires`.
///
/// Written by hand rather than with `ISO8601DateFormatter`: the grammar is small, the formatter is
/// costly to create and not `Sendable`, and proofs are made and checked thousands of times a second.
public enum XMLDateTime {
    /// `date` in UTC to the second, as `2023-02-24T23:36:38Z` (fractions of a second are dropped).
    /// - Throws: ``ProofError`` (`invalidDate`) for a date outside the years 1 to 9999.
    public static func format(_ date: Date) throws(ProofError) -> String {
        let seconds = date.timeIntervalSince1970.rounded(.down)
        // 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z.
        guard seconds.isFinite, seconds >= -62_135_596_800, seconds <= 253_402_300_799 else {
            throw ProofError(.invalidDate, "cannot write \(date) as an XML Schema dateTime (years 1 to 9999 only)")
        }
        let total = Int64(seconds)
        let days = total >= 0 ? total / 86_400 : (total - 86_399) / 86_400
        let secondOfDay = Int(total - days * 86_400)
        let (year, month, day) = civil(fromDays: days)
        var text = ""
        text.reserveCapacity(20)
        func pad(_ value: Int, _ width: Int) {
            let digits = String(value)
            text += String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        pad(Int(year), 4); text += "-"; pad(month, 2); text += "-"; pad(day, 2); text += "T"
        pad(secondOfDay / 3600, 2); text += ":"; pad(secondOfDay / 60 % 60, 2); text += ":"; pad(secondOfDay % 60, 2)
        text += "Z"
        return text
    }

    /// Parses an XML Schema 1.1 `dateTime`: `[-]YYYY-MM-DDThh:mm:ss[.fff][Z|(+|-)hh:mm]`.
    ///
    /// A value without a time zone is read as UTC. `24:00:00` is the first instant of the next day,
    /// as the schema defines it.
    /// - Throws: ``ProofError`` (`invalidDate`) when `text` does not follow the grammar or names a
    ///   day or time that does not exist.
    public static func parse(_ text: String) throws(ProofError) -> Date {
        let bytes = Array(text.utf8)
        var at = 0
        func fail(_ why: String) -> ProofError {
            ProofError(.invalidDate, "'\(text.prefix(64))' is not an XML Schema dateTime: \(why)")
        }
        func digits(_ count: Int, orMore: Bool = false) -> Int64? {
            var value: Int64 = 0
            var taken = 0
            while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9"),
                taken < count || (orMore && taken < 12)
            {
                value = value * 10 + Int64(bytes[at] - UInt8(ascii: "0"))
                at += 1
                taken += 1
            }
            return taken >= count ? value : nil
        }
        func expect(_ character: Character) -> Bool {
            guard at < bytes.count, let ascii = character.asciiValue, bytes[at] == ascii else { return false }
            at += 1
            return true
        }
        let negativeYear = expect("-")
        let yearStart = at
        guard let yearDigits = digits(4, orMore: true) else { throw fail("the year needs at least four digits") }
        if at - yearStart > 4, bytes[yearStart] == UInt8(ascii: "0") {
            throw fail("a year of more than four digits cannot start with 0")
        }
        let year = negativeYear ? -yearDigits : yearDigits
        guard expect("-"), let month = digits(2), expect("-"), let day = digits(2), expect("T"),
            let hour = digits(2), expect(":"), let minute = digits(2), expect(":"), let second = digits(2)
        else { throw fail("expected YYYY-MM-DDThh:mm:ss") }
        var fraction = 0.0
        if expect(".") {
            let start = at
            var scale = 0.1
            while at < bytes.count, bytes[at] >= UInt8(ascii: "0"), bytes[at] <= UInt8(ascii: "9") {
                fraction += Double(bytes[at] - UInt8(ascii: "0")) * scale
                scale /= 10
                at += 1
            }
            guard at > start else { throw fail("a '.' must be followed by digits") }
        }
        var offsetMinutes: Int64 = 0
        if expect("Z") {
            offsetMinutes = 0
        } else if at < bytes.count, bytes[at] == UInt8(ascii: "+") || bytes[at] == UInt8(ascii: "-") {
            let sign: Int64 = bytes[at] == UInt8(ascii: "-") ? -1 : 1
            at += 1
            guard let zoneHours = digits(2), expect(":"), let zoneMinutes = digits(2) else {
                throw fail("a time zone offset is written +hh:mm or -hh:mm")
            }
            guard zoneMinutes < 60, zoneHours * 60 + zoneMinutes <= 14 * 60 else { throw fail("time zone offset out of range") }
            offsetMinutes = sign * (zoneHours * 60 + zoneMinutes)
        }
        guard at == bytes.count else { throw fail("unexpected text after the time") }
        guard (1...12).contains(month) else { throw fail("month \(month) does not exist") }
        guard day >= 1, day <= daysIn(month: Int(month), year: year) else { throw fail("day \(day) does not exist in that month") }
        let endOfDay = hour == 24 && minute == 0 && second == 0 && fraction == 0
        guard (hour < 24 || endOfDay), minute < 60, second < 60 else { throw fail("the time of day is out of range") }
        // Keep the arithmetic far from overflow; Date cannot represent such years usefully anyway.
        guard abs(year) <= 1_000_000 else { throw fail("year out of range") }
        let days = days(fromCivil: year, Int(month), Int(day))
        let seconds = days * 86_400 + hour * 3600 + minute * 60 + second - offsetMinutes * 60
        return Date(timeIntervalSince1970: Double(seconds) + fraction)
    }

    private static func isLeap(_ year: Int64) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    private static func daysIn(month: Int, year: Int64) -> Int64 {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's `days_from_civil`).
    private static func days(fromCivil year: Int64, _ month: Int, _ day: Int) -> Int64 {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let shiftedMonth = Int64(month > 2 ? month - 3 : month + 9)
        let dayOfYear = (153 * shiftedMonth + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The proleptic Gregorian date of a day count since 1970-01-01 (H. Hinnant's `civil_from_days`).
    private static func civil(fromDays days: Int64) -> (year: Int64, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let shiftedMonth = (5 * dayOfYear + 2) / 153
        let day = Int(dayOfYear - (153 * shiftedMonth + 2) / 5 + 1)
        let month = Int(shiftedMonth < 10 ? shiftedMonth + 3 : shiftedMonth - 9)
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}
