import Foundation

/// CRC-32 (ISO 3309, polynomial 0xEDB88320), as ZIP records it for each entry.
public struct CRC32: Sendable {
    static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    public private(set) var value: UInt32 = 0

    public init() {}

    public mutating func update<Bytes: Sequence>(_ bytes: Bytes) where Bytes.Element == UInt8 {
        var crc = ~value
        for byte in bytes { crc = Self.table[Int((crc ^ UInt32(byte)) & 0xFF)] ^ (crc >> 8) }
        value = ~crc
    }

    public static func checksum<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc = CRC32()
        crc.update(bytes)
        return crc.value
    }
}

/// Why an archive could not be written.
public struct ZipError: Error, CustomStringConvertible, Sendable, Equatable {
    public let message: String
    public var description: String { message }
}

/// Writes a ZIP archive (APPNOTE 6.3) of stored, uncompressed entries to a file, streaming each
/// entry's bytes through once.
///
/// Stored entries need no zlib, and documents (PDFs, office files, images) are compressed already.
/// Each local header is written with a zero CRC and sizes, then patched once the entry's bytes are
/// through, so no data descriptors are needed and every reader accepts the result. No ZIP64: the
/// archive stays under 4 GiB and 65,535 entries, or ``add(_:bytes:)`` throws.
public final class ZipWriter {
    struct Entry {
        var name: [UInt8]
        var crc: UInt32
        var size: UInt32
        var offset: UInt32
    }

    static let limit = UInt64(UInt32.max)
    let handle: FileHandle
    var entries: [Entry] = []
    var offset: UInt64 = 0
    let dosTime: UInt16
    let dosDate: UInt16
    var finished = false

    /// Creates (or truncates) the archive at `path`; entries are dated `date` (UTC).
    public init(path: String, date: Date = Date()) throws {
        guard FileManager.default.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
            let handle = FileHandle(forWritingAtPath: path)
        else { throw ZipError(message: "cannot create the archive file \(path)") }
        self.handle = handle
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC") ?? calendar.timeZone
        let parts = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second], from: date)
        let year = max(0, min(127, (parts.year ?? 1980) - 1980))
        dosDate = UInt16(year << 9 | (parts.month ?? 1) << 5 | (parts.day ?? 1))
        dosTime = UInt16((parts.hour ?? 0) << 11 | (parts.minute ?? 0) << 5 | (parts.second ?? 0) / 2)
    }

    deinit { try? handle.close() }

    /// Bytes written so far.
    public var size: UInt64 { offset }

    /// Adds an entry holding `bytes`.
    public func add(_ name: String, bytes: [UInt8]) throws {
        try add(name) { write in try write(bytes[...]) }
    }

    /// Adds an entry whose bytes `produce` hands to `write` in pieces.
    public func add(_ name: String, produce: (_ write: (ArraySlice<UInt8>) throws -> Void) throws -> Void) throws {
        let nameBytes = Array(name.utf8)
        guard !finished else { throw ZipError(message: "the archive is already finished") }
        guard !nameBytes.isEmpty, nameBytes.count <= 1024, !name.hasPrefix("/"), !name.split(separator: "/").contains("..")
        else { throw ZipError(message: "\"\(name)\" is not a valid name inside an archive") }
        guard entries.count < 65_535 else { throw ZipError(message: "an archive holds at most 65,535 entries") }
        let start = offset
        guard start < Self.limit else { throw ZipError(message: "the archive would exceed 4 GiB") }
        try write(localHeader(name: nameBytes, crc: 0, size: 0))
        var crc = CRC32()
        var size: UInt64 = 0
        try produce { piece in
            crc.update(piece)
            size += UInt64(piece.count)
            guard offset + UInt64(piece.count) < Self.limit else { throw ZipError(message: "the archive would exceed 4 GiB") }
            try write(Array(piece))
        }
        // Patch CRC and sizes (offset 14 of the local header), then carry on at the end.
        try handle.seek(toOffset: start + 14)
        var patch: [UInt8] = []
        Self.append(crc.value, to: &patch)
        Self.append(UInt32(size), to: &patch)
        Self.append(UInt32(size), to: &patch)
        try handle.write(contentsOf: patch)
        try handle.seekToEnd()
        entries.append(Entry(name: nameBytes, crc: crc.value, size: UInt32(size), offset: UInt32(start)))
    }

    /// Writes the central directory and closes the file.
    public func finish() throws {
        guard !finished else { return }
        let directoryStart = offset
        for entry in entries {
            var header: [UInt8] = []
            Self.append(UInt32(0x0201_4B50), to: &header)
            Self.append(UInt16(0x031E), to: &header)  // made by: Unix, APPNOTE 3.0
            Self.append(UInt16(20), to: &header)
            Self.append(UInt16(0x0800), to: &header)  // names are UTF-8
            Self.append(UInt16(0), to: &header)  // stored
            Self.append(dosTime, to: &header)
            Self.append(dosDate, to: &header)
            Self.append(entry.crc, to: &header)
            Self.append(entry.size, to: &header)
            Self.append(entry.size, to: &header)
            Self.append(UInt16(entry.name.count), to: &header)
            Self.append(UInt16(0), to: &header)  // extra
            Self.append(UInt16(0), to: &header)  // comment
            Self.append(UInt16(0), to: &header)  // disk
            Self.append(UInt16(0), to: &header)  // internal attributes
            Self.append(UInt32(0o100644) << 16, to: &header)  // a regular file, rw-r--r--
            Self.append(entry.offset, to: &header)
            header += entry.name
            try write(header)
        }
        let directorySize = offset - directoryStart
        guard offset < Self.limit else { throw ZipError(message: "the archive would exceed 4 GiB") }
        var end: [UInt8] = []
        Self.append(UInt32(0x0605_4B50), to: &end)
        Self.append(UInt16(0), to: &end)
        Self.append(UInt16(0), to: &end)
        Self.append(UInt16(entries.count), to: &end)
        Self.append(UInt16(entries.count), to: &end)
        Self.append(UInt32(directorySize), to: &end)
        Self.append(UInt32(directoryStart), to: &end)
        Self.append(UInt16(0), to: &end)
        try write(end)
        try handle.synchronize()
        try handle.close()
        finished = true
    }

    func localHeader(name: [UInt8], crc: UInt32, size: UInt32) -> [UInt8] {
        var header: [UInt8] = []
        Self.append(UInt32(0x0403_4B50), to: &header)
        Self.append(UInt16(20), to: &header)
        Self.append(UInt16(0x0800), to: &header)
        Self.append(UInt16(0), to: &header)
        Self.append(dosTime, to: &header)
        Self.append(dosDate, to: &header)
        Self.append(crc, to: &header)
        Self.append(size, to: &header)
        Self.append(size, to: &header)
        Self.append(UInt16(name.count), to: &header)
        Self.append(UInt16(0), to: &header)
        return header + name
    }

    func write(_ bytes: [UInt8]) throws {
        try handle.write(contentsOf: bytes)
        offset += UInt64(bytes.count)
    }

    static func append<T: FixedWidthInteger>(_ value: T, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.littleEndian) { bytes.append(contentsOf: $0) }
    }
}
