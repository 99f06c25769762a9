import Foundation

/// HTTP-date (RFC 9110 section 5.6.7): formats IMF-fixdate, parses all three forms.
///
/// Written by hand because every signed request carries a `Date` header and a `DateFormatter` per
/// request (or a shared, locked one) costs far more than the signature check around it. Works on
/// whole seconds since 1970 in UTC; the calendar arithmetic is the proleptic Gregorian one of
/// Howard Hinnant's `days_from_civil`.
public enum HTTPDate {
    private static let dayNames = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
    private static let longDayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]
    private static let monthNames = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    /// `Sun, 06 Nov 1994 08:49:37 GMT` for `date` (fractions of a second are dropped).
    public static func format(_ date: Date) -> String {
        format(secondsSince1970: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    /// IMF-fixdate for a Unix time in seconds.
    public static func format(secondsSince1970 seconds: Int64) -> String {
        let days = floorDivide(seconds, 86400)
        let secondOfDay = Int(seconds - days * 86400)
        let (year, month, day) = civil(fromDays: days)
        // 1970-01-01 was a Thursday (index 3 with Monday = 0).
        let weekday = Int(((days % 7) + 7 + 3) % 7)
        var out = dayNames[weekday] + ", "
        out += twoDigits(day) + " " + monthNames[month - 1] + " "
        out += year >= 0 && year < 10000 ? String(repeating: "0", count: 4 - String(year).count) + String(year) : String(year)
        out += " " + twoDigits(secondOfDay / 3600) + ":" + twoDigits(secondOfDay / 60 % 60) + ":" + twoDigits(secondOfDay % 60)
        return out + " GMT"
    }

    /// Parses IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), and the obsolete RFC 850
    /// (`Sunday, 06-Nov-94 08:49:37 GMT`) and asctime (`Sun Nov  6 08:49:37 1994`) forms that
    /// RFC 9110 says a recipient must accept. Returns nil for anything else.
    public static func parse(_ text: String) -> Date? {
        parseSeconds(text).map { Date(timeIntervalSince1970: TimeInterval($0)) }
    }

    /// Like ``parse(_:)`` but returns Unix seconds.
    public static func parseSeconds(_ text: String) -> Int64? {
        var bytes = Array(text.utf8)[...]
        while bytes.first == 0x20 || bytes.first == 0x09 { bytes.removeFirst() }
        while bytes.last == 0x20 || bytes.last == 0x09 { bytes.removeLast() }
        let b = Array(bytes)
        if b.count == 29, b[3] == UInt8(ascii: ",") { return parseIMF(b) }
        if b.count == 24, b[3] == 0x20 { return parseAsctime(b) }
        if let comma = b.firstIndex(of: UInt8(ascii: ",")), comma > 3 { return parseRFC850(b, comma: comma) }
        return nil
    }

    // "Sun, 06 Nov 1994 08:49:37 GMT"
    private static func parseIMF(_ b: [UInt8]) -> Int64? {
        guard dayNames.contains(string(b, 0, 3)), b[4] == 0x20, b[7] == 0x20, b[11] == 0x20, b[16] == 0x20,
            string(b, 26, 3) == "GMT", b[25] == 0x20,
            let day = number(b, 5, 2), let month = month(b, 8), let year = number(b, 12, 4),
            let time = clock(b, 17)
        else { return nil }
        return seconds(year: year, month: month, day: day, time: time)
    }

    // "Sunday, 06-Nov-94 08:49:37 GMT"
    private static func parseRFC850(_ b: [UInt8], comma: Int) -> Int64? {
        let rest = comma + 1
        guard longDayNames.contains(string(b, 0, comma)), b.count == rest + 23, b[rest] == 0x20,
            b[rest + 3] == UInt8(ascii: "-"), b[rest + 7] == UInt8(ascii: "-"), b[rest + 10] == 0x20,
            b[rest + 19] == 0x20, string(b, rest + 20, 3) == "GMT",
            let day = number(b, rest + 1, 2), let month = month(b, rest + 4), let shortYear = number(b, rest + 8, 2),
            let time = clock(b, rest + 11)
        else { return nil }
        // RFC 9110: a two-digit year more than 50 years in the future means the past century; relative
        // to the 2000s that is simply 00-69 → 20xx, 70-99 → 19xx.
        let year = shortYear < 70 ? 2000 + shortYear : 1900 + shortYear
        return seconds(year: year, month: month, day: day, time: time)
    }

    // "Sun Nov  6 08:49:37 1994"
    private static func parseAsctime(_ b: [UInt8]) -> Int64? {
        guard dayNames.contains(string(b, 0, 3)), b[7] == 0x20, b[10] == 0x20, b[19] == 0x20,
            let month = month(b, 4),
            let day = b[8] == 0x20 ? number(b, 9, 1) : number(b, 8, 2),
            let time = clock(b, 11), let year = number(b, 20, 4)
        else { return nil }
        return seconds(year: year, month: month, day: day, time: time)
    }

    private static func seconds(year: Int, month: Int, day: Int, time: Int) -> Int64? {
        guard day >= 1, day <= daysIn(month: month, year: year) else { return nil }
        return days(year: year, month: month, day: day) * 86400 + Int64(time)
    }

    /// "HH:MM:SS" at `offset` as seconds of the day (leap second 60 accepted, as RFC 9110 allows).
    private static func clock(_ b: [UInt8], _ offset: Int) -> Int? {
        guard b[offset + 2] == UInt8(ascii: ":"), b[offset + 5] == UInt8(ascii: ":"),
            let hour = number(b, offset, 2), let minute = number(b, offset + 3, 2), let second = number(b, offset + 6, 2),
            hour < 24, minute < 60, second <= 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }

    private static func month(_ b: [UInt8], _ offset: Int) -> Int? {
        monthNames.firstIndex(of: string(b, offset, 3)).map { $0 + 1 }
    }

    private static func number(_ b: [UInt8], _ offset: Int, _ length: Int) -> Int? {
        var value = 0
        for index in offset..<(offset + length) {
            let c = b[index]
            guard c >= 0x30, c <= 0x39 else { return nil }
            value = value * 10 + Int(c - 0x30)
        }
        return value
    }

    private static func string(_ b: [UInt8], _ offset: Int, _ length: Int) -> String {
        String(decoding: b[offset..<(offset + length)], as: UTF8.self)
    }

    private static func twoDigits(_ value: Int) -> String {
        value < 10 ? "0" + String(value) : String(value)
    }

    private static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    private static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        a >= 0 ? a / b : -((-a + b - 1) / b)
    }

    /// Days since 1970-01-01 of a proleptic Gregorian date.
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The civil date of a day count since 1970-01-01.
    static func civil(fromDays count: Int64) -> (year: Int, month: Int, day: Int) {
        let z = count + 719_468
        let era = floorDivide(z, 146_097)
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }
}
