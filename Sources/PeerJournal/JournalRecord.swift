/// One record of a journal: what kind of entry it is (`kind`, chosen by the journal's user; 0 is reserved for
/// commits) and its bytes. On disk (docs/STATE.md, "Records"):
///
///     length(4, big-endian: bytes of kind and payload) | crc32c(4, big-endian: of the length, kind and payload)
///     | kind(1) | payload(length − 1)
///
/// A batch of records becomes durable with a commit record (kind 0) written and synced after them; its payload is
/// the byte offset just past the commit record itself and the batch's number (1 for the first), 8 bytes each,
/// big-endian, so that a commit can be recognised on its own wherever it stands, and a reader can tell a torn
/// tail from damage before a later commit.
public struct JournalRecord: Equatable, Sendable {
    /// What the record is, in its user's terms; never `commitKind`.
    public var kind: UInt8
    /// Its bytes.
    public var payload: [UInt8]

    /// A record of `kind` (1–255) carrying `payload`.
    public init(kind: UInt8, payload: [UInt8]) {
        self.kind = kind
        self.payload = payload
    }

    /// The kind of a commit record, which ends a batch.
    public static let commitKind: UInt8 = 0
    /// Bytes before a record's kind: its length and checksum.
    public static let headerBytes = 8
    /// The longest payload a record may carry: a length past it is damage, not a record (and a reader never
    /// allocates more than this for one).
    public static let maxPayloadBytes = 1 << 20
    /// A commit record's size on disk: header, kind, the 8-byte offset and the 8-byte batch number.
    public static let commitBytes = headerBytes + 1 + 16

    /// The record as it is written.
    public var encoded: [UInt8] { Self.encode(kind: kind, payload: payload) }

    /// A record's bytes on disk. Precondition (a programming error, not outside data): the payload fits.
    static func encode(kind: UInt8, payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= maxPayloadBytes, "a journal record of \(payload.count) bytes")
        let length = UInt32(payload.count + 1)
        var body: [UInt8] = []
        body.reserveCapacity(headerBytes + 1 + payload.count)
        body.appendBigEndian(length)
        body.append(kind)
        body += payload
        let crc = CRC32C.checksum(body)
        var record = Array(body.prefix(4))
        record.appendBigEndian(crc)
        record += body.dropFirst(4)
        return record
    }

    /// The commit record that ends batch number `batch` when it is written at `offset`.
    static func commit(batch: UInt64, at offset: UInt64) -> [UInt8] {
        var payload: [UInt8] = []
        payload.appendBigEndian(offset + UInt64(commitBytes))
        payload.appendBigEndian(batch)
        return encode(kind: commitKind, payload: payload)
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
