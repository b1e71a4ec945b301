/// The bytes to append to a journal for each batch of records: the header first if the journal is new, then the
/// records and the commit that numbers the batch and names its own end. Pure: whoever writes the bytes must sync
/// them before asking for the next batch, which is what lets `JournalScan` tell a torn tail from damage.
public struct JournalAppender: Sendable {
    /// The journal's length once everything handed out so far is written.
    public private(set) var length: Int
    /// Batches committed so far (including those read back).
    public private(set) var batches: Int

    /// Appends to a new, empty journal.
    public init() {
        length = 0
        batches = 0
    }

    /// Appends after what `contents` read back (the file cut back to its `durableBytes` first).
    public init(after contents: JournalContents) {
        length = contents.durableBytes
        batches = contents.batches
    }

    /// The bytes that make `records` one more committed batch. Records of kind 0 (`commitKind`) are a programming
    /// error: that kind is the journal's own.
    public mutating func append(_ records: [JournalRecord]) -> [UInt8] {
        var bytes: [UInt8] = length == 0 ? JournalScan.header : []
        for record in records {
            precondition(record.kind != JournalRecord.commitKind, "kind 0 is the journal's commit")
            bytes += record.encoded
        }
        batches += 1
        bytes += JournalRecord.commit(batch: UInt64(batches), at: UInt64(length + bytes.count))
        length += bytes.count
        return bytes
    }
}
