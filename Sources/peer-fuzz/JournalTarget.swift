import PeerJournal

/// Target `journal`: `JournalScan.scan` on arbitrary bytes (a state directory's journal, torn, decayed or written
/// by someone else). It never traps; what it reads back is whole committed batches only — appending those same
/// batches afresh writes exactly the file's durable bytes — and the durable and torn bytes add up to the file.
enum JournalTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        guard let contents = try? JournalScan.scan(bytes) else { return }
        if contents.durableBytes + contents.tornBytes != bytes.count {
            violated("Journal: durable \(contents.durableBytes) + torn \(contents.tornBytes) != \(bytes.count)")
        }
        guard contents.batches > 0 else {
            // No batch: nothing but (at most) the header is the journal.
            if !contents.records.isEmpty || ![0, JournalScan.header.count].contains(contents.durableBytes) {
                violated("Journal: \(contents.records.count) records, \(contents.durableBytes) durable bytes, no batch")
            }
            return
        }
        // The batches read back, rewritten by the appender, are the durable bytes to the letter: the reader took
        // nothing that was not a whole, committed batch.
        if rewritten(from: bytes, contents) != Array(bytes.prefix(contents.durableBytes)) {
            violated("Journal: the records read back do not rewrite to the durable bytes")
        }
    }

    /// The committed batches of `bytes` (their boundaries from the commits), appended afresh.
    static func rewritten(from bytes: [UInt8], _ contents: JournalContents) -> [UInt8] {
        var appender = JournalAppender()
        var output: [UInt8] = []
        var remaining = contents.records[...]
        var offset = JournalScan.header.count
        // Walk the durable bytes record by record to find where each batch ends.
        var batch: [JournalRecord] = []
        while offset < contents.durableBytes {
            guard offset + JournalRecord.headerBytes + 1 <= bytes.count else { return [] }
            let length = bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | Int($1) }
            let kind = bytes[offset + JournalRecord.headerBytes]
            offset += JournalRecord.headerBytes + length
            if kind == JournalRecord.commitKind {
                output += appender.append(batch)
                batch = []
            } else {
                guard let next = remaining.popFirst() else { return [] }
                batch.append(next)
            }
        }
        return remaining.isEmpty && batch.isEmpty ? output : []
    }
}
