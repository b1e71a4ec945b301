/// What a journal file holds, read back: the records of every committed batch, in order, and where the file may
/// be appended to.
public struct JournalContents: Equatable, Sendable {
    /// The records of every batch whose commit record was read intact, in the order written.
    public var records: [JournalRecord]
    /// How many batches they came in.
    public var batches: Int
    /// The bytes that are the journal: the header and every committed batch. The file is cut back to this before
    /// anything is appended.
    public var durableBytes: Int
    /// Bytes after `durableBytes` that belong to no committed batch: a batch whose write a crash or power loss cut
    /// short (its lines were never reported sent, so dropping them loses nothing accepted). 0 when the file ends
    /// cleanly.
    public var tornBytes: Int

    /// Contents as read back (for tests and tools that build one).
    public init(records: [JournalRecord], batches: Int, durableBytes: Int, tornBytes: Int) {
        self.records = records
        self.batches = batches
        self.durableBytes = durableBytes
        self.tornBytes = tornBytes
    }
}

/// Damage before the last committed batch: bytes that were synced to disk and are no longer what was written.
/// Not repaired, never skipped: the user is told the file and the offset.
public struct JournalDamage: Error, Equatable, Sendable, CustomStringConvertible {
    /// The byte offset of the first record that does not read back.
    public var offset: Int
    /// What is wrong there.
    public var reason: String

    /// Damage at `offset`, for `reason`.
    public init(offset: Int, reason: String) {
        self.offset = offset
        self.reason = reason
    }

    public var description: String { "damaged at byte \(offset): \(reason)" }
}

/// Reads a journal's bytes (docs/STATE.md), trusting nothing in them: every length is bounded and checked before
/// it is used, every record's checksum verified, and no byte is read past the end.
///
/// Batches are written one at a time, each synced before the next is begun, so a crash can only cut the last
/// one short. The reader takes every batch up to the first record that does not read back; what follows is a
/// torn tail if that record can be in the last batch written, and damage (an error naming the offset) if an
/// intact commit record after it shows a later batch was begun — then the bad one had been synced. A damaged
/// last batch cannot be told from a torn one, and is dropped as one.
public enum JournalScan {
    /// The first bytes of every journal: `PEERJNL` and the format's version, 1.
    public static let header: [UInt8] = Array("PEERJNL".utf8) + [1]

    /// The committed contents of a journal file's `bytes`.
    /// - Throws: `JournalDamage` when a committed batch does not read back, or the file is not a journal.
    public static func scan(_ bytes: [UInt8]) throws(JournalDamage) -> JournalContents {
        guard bytes.count >= header.count else {
            // Created, and the crash came before its header was whole: nothing was ever committed in it.
            guard header.starts(with: bytes) else {
                throw JournalDamage(offset: 0, reason: "not a peer journal (it does not begin PEERJNL, version 1)")
            }
            return JournalContents(records: [], batches: 0, durableBytes: 0, tornBytes: bytes.count)
        }
        guard bytes.starts(with: header) else {
            throw JournalDamage(offset: 0, reason: "not a peer journal (it does not begin PEERJNL, version 1)")
        }
        var committed: [JournalRecord] = []
        var pending: [JournalRecord] = []
        var batches = 0
        var durable = header.count
        var offset = header.count
        while offset < bytes.count {
            switch read(bytes, at: offset) {
            case .record(let record, let end):
                if record.kind == JournalRecord.commitKind {
                    guard uint64(record.payload, at: 8) == UInt64(batches + 1) else {
                        throw JournalDamage(offset: offset, reason: "the commit of batch \(uint64(record.payload, at: 8)) "
                                            + "where batch \(batches + 1) belongs")
                    }
                    committed += pending
                    pending = []
                    batches += 1
                    durable = end
                } else {
                    pending.append(record)
                }
                offset = end
            case .bad(let reason):
                // The bad record is in batch `batches + 1`. If anything stands after that batch's commit — another
                // batch's commit, or any byte at all — a later batch was begun, so this one had been synced.
                if let later = firstCommit(in: bytes, after: offset) {
                    let number = uint64(bytes, at: later + JournalRecord.headerBytes + 1 + 8)
                    let ends = later + JournalRecord.commitBytes
                    if number != UInt64(batches + 1) || ends < bytes.count {
                        throw JournalDamage(offset: offset, reason: reason)
                    }
                }
                return JournalContents(records: committed, batches: batches, durableBytes: durable,
                                       tornBytes: bytes.count - durable)
            }
        }
        return JournalContents(records: committed, batches: batches, durableBytes: durable,
                               tornBytes: bytes.count - durable)
    }

    enum Reading {
        case record(JournalRecord, end: Int)
        case bad(String)
    }

    /// The record at `offset`, checked: its header whole, its length within bounds and within the file, its
    /// checksum right, and a commit naming its own end.
    static func read(_ bytes: [UInt8], at offset: Int) -> Reading {
        let available = bytes.count - offset
        guard available >= JournalRecord.headerBytes + 1 else {
            return .bad("a record's header is cut short (\(available) bytes left)")
        }
        let length = Int(uint32(bytes, at: offset))
        guard length >= 1, length <= JournalRecord.maxPayloadBytes + 1 else {
            return .bad("a record claims \(length) bytes")
        }
        guard length <= available - JournalRecord.headerBytes else {
            return .bad("a record of \(length) bytes runs past the end of the file")
        }
        let kindAt = offset + JournalRecord.headerBytes
        let end = kindAt + length
        var checked = Array(bytes[offset..<(offset + 4)])
        checked += bytes[kindAt..<end]
        guard CRC32C.checksum(checked) == uint32(bytes, at: offset + 4) else {
            return .bad("a record's checksum does not match its bytes")
        }
        let record = JournalRecord(kind: bytes[kindAt], payload: Array(bytes[(kindAt + 1)..<end]))
        if record.kind == JournalRecord.commitKind {
            guard record.payload.count == 16, uint64(record.payload, at: 0) == UInt64(end) else {
                return .bad("a commit record that does not name its own end")
            }
        }
        return .record(record, end: end)
    }

    /// The offset of the first intact commit record that starts after `offset`, looked for at every byte: after
    /// damage, record boundaries cannot be trusted, but a commit names its own end and carries a checksum.
    static func firstCommit(in bytes: [UInt8], after offset: Int) -> Int? {
        var candidate = offset + 1
        while candidate + JournalRecord.commitBytes <= bytes.count {
            if bytes[candidate] == 0, bytes[candidate + 1] == 0, bytes[candidate + 2] == 0, bytes[candidate + 3] == 17,
               bytes[candidate + JournalRecord.headerBytes] == JournalRecord.commitKind,
               case .record = read(bytes, at: candidate) {
                return candidate
            }
            candidate += 1
        }
        return nil
    }

    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32 {
        bytes[offset..<(offset + 4)].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    static func uint64(_ bytes: [UInt8], at offset: Int) -> UInt64 {
        bytes[offset..<(offset + 8)].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
    }
}
