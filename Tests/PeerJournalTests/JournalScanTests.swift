import PeerJournal
import Testing

/// The journal read back after every way a write can end: whole, cut short anywhere in its last batch, or damaged
/// before a later batch.
struct JournalScanTests {
    @Test("CRC-32C of the standard check string, and of nothing")
    func checksumVector() {
        #expect(CRC32C.checksum(Array("123456789".utf8)) == 0xE306_9283)
        #expect(CRC32C.checksum([UInt8]()) == 0)
        // RFC 3720 (iSCSI), B.4: 32 bytes of zeros, and of 0xFF.
        #expect(CRC32C.checksum([UInt8](repeating: 0, count: 32)) == 0x8A91_36AA)
        #expect(CRC32C.checksum([UInt8](repeating: 0xFF, count: 32)) == 0x62A8_AB43)
    }

    /// Three batches of a few records each, as a writer would append them, and the records in order.
    static func journal() -> (bytes: [UInt8], batches: [[JournalRecord]]) {
        var appender = JournalAppender()
        let batches: [[JournalRecord]] = [
            [JournalRecord(kind: 1, payload: Array("first line".utf8)), JournalRecord(kind: 2, payload: [])],
            [JournalRecord(kind: 1, payload: Array("second".utf8))],
            [JournalRecord(kind: 3, payload: [UInt8](repeating: 7, count: 300)),
             JournalRecord(kind: 1, payload: Array("third".utf8))],
        ]
        var bytes: [UInt8] = []
        for batch in batches { bytes += appender.append(batch) }
        #expect(appender.length == bytes.count && appender.batches == 3)
        return (bytes, batches)
    }

    @Test("a whole journal reads back every record, in order, with nothing torn")
    func wholeJournal() throws {
        let (bytes, batches) = Self.journal()
        let contents = try JournalScan.scan(bytes)
        #expect(contents.records == batches.flatMap { $0 })
        #expect(contents.batches == 3 && contents.durableBytes == bytes.count && contents.tornBytes == 0)
        #expect(try JournalScan.scan([]) == JournalContents(records: [], batches: 0, durableBytes: 0, tornBytes: 0))
    }

    @Test("cut anywhere in its last batch: the batches before it read back whole, the rest is a torn tail")
    func tornAtEveryByte() throws {
        let (bytes, batches) = Self.journal()
        let twoBatches = try JournalScan.scan(bytes).durableBytes
            - (JournalRecord(kind: 3, payload: [UInt8](repeating: 7, count: 300)).encoded.count
               + JournalRecord(kind: 1, payload: Array("third".utf8)).encoded.count + JournalRecord.commitBytes)
        for cut in twoBatches..<bytes.count {
            let contents = try JournalScan.scan(Array(bytes.prefix(cut)))
            #expect(contents.records == batches.prefix(2).flatMap { $0 }, "cut at \(cut)")
            #expect(contents.durableBytes == twoBatches && contents.tornBytes == cut - twoBatches)
        }
        // A file whose header was being written when the crash came holds nothing, and nothing is wrong with it.
        for cut in 1..<JournalScan.header.count {
            let contents = try JournalScan.scan(Array(bytes.prefix(cut)))
            #expect(contents.records.isEmpty && contents.durableBytes == 0 && contents.tornBytes == cut)
        }
    }

    @Test("the last batch written with garbage where its pages never reached the disk: dropped as torn")
    func lastBatchWithGarbage() throws {
        let (bytes, batches) = Self.journal()
        let durable = try JournalScan.scan(bytes).durableBytes
        var garbled = bytes
        // Zeros in the middle of the last batch, its commit intact (the page holding it was written).
        let lastBatchStart = durable - JournalRecord.commitBytes - 330
        for position in (lastBatchStart + 20)..<(lastBatchStart + 60) { garbled[position] = 0 }
        let contents = try JournalScan.scan(garbled)
        #expect(contents.records == batches.prefix(2).flatMap { $0 })
        #expect(contents.tornBytes > 0)
    }

    @Test("a byte changed anywhere in a batch that a later batch follows: damage, at the offset of its record")
    func damageBeforeALaterBatch() {
        let (bytes, batches) = Self.journal()
        // Where each record of the first batch starts, its commit last.
        var starts = [JournalScan.header.count]
        for record in batches[0] { starts.append((starts.last ?? 0) + record.encoded.count) }
        let firstBatchEnd = (starts.last ?? 0) + JournalRecord.commitBytes
        for position in JournalScan.header.count..<firstBatchEnd {
            var damaged = bytes
            damaged[position] ^= 0x20
            let recordStart = starts.last { $0 <= position } ?? 0
            #expect(throws: JournalDamage.self, "byte \(position)") { try JournalScan.scan(damaged) }
            do {
                _ = try JournalScan.scan(damaged)
            } catch {
                #expect(error.offset == recordStart, "byte \(position): \(error)")
            }
        }
    }

    @Test("not a journal, or another version: damage at byte 0, never read as empty")
    func notAJournal() {
        for bytes: [UInt8] in [Array("hello world".utf8), Array("PEERJNL".utf8) + [2, 0, 0, 0], [0, 0, 0, 0, 0, 0, 0, 0, 9]] {
            #expect(throws: JournalDamage(offset: 0, reason: "not a peer journal (it does not begin PEERJNL, version 1)")) {
                try JournalScan.scan(bytes)
            }
        }
    }

    @Test("hostile lengths and kinds never trap and never allocate past the bound", arguments: 0..<64)
    func hostileBytes(seed: Int) {
        var generator = SplitMix(seed: UInt64(seed))
        let (bytes, _) = Self.journal()
        for _ in 0..<200 {
            var mutated = bytes
            for _ in 0..<Int(generator.next() % 4 + 1) {
                let position = Int(generator.next() % UInt64(mutated.count))
                mutated[position] = UInt8(truncatingIfNeeded: generator.next())
            }
            mutated = Array(mutated.prefix(Int(generator.next() % UInt64(mutated.count + 1))))
            // Either it reads (a prefix of the batches, in order) or it names damage: never a trap.
            if let contents = try? JournalScan.scan(mutated) {
                #expect(contents.durableBytes + contents.tornBytes == mutated.count)
            }
        }
    }
}

/// A small deterministic generator for the hostile-bytes test.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
