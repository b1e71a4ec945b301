import Foundation
import PeerJournal
import Testing

/// The journal on a real disk: what is appended is read back by the next open, a torn tail is cut off, damage
/// stops with the file and offset, compaction keeps what it is given, and one process at a time holds a directory.
struct JournalFileTests {
    /// A fresh temporary directory, removed when `body` returns.
    static func inDirectory(_ body: (String) throws -> Void) throws {
        let directory = NSTemporaryDirectory() + "peer-journal-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try body(directory)
    }

    static func line(_ index: Int) -> JournalRecord { JournalRecord(kind: 1, payload: Array("line \(index)".utf8)) }

    @Test("batches appended are read back by the next open, in order, and appending goes on after them")
    func appendAndReopen() throws {
        try Self.inDirectory { directory in
            let path = directory + "/journal"
            do {
                let (journal, contents) = try JournalFile.open(path)
                #expect(contents.records.isEmpty)
                try journal.append([Self.line(0), Self.line(1)])
                try journal.append([Self.line(2)])
            }
            do {
                let (journal, contents) = try JournalFile.open(path)
                #expect(contents.records == [Self.line(0), Self.line(1), Self.line(2)] && contents.batches == 2)
                try journal.append([Self.line(3)])
            }
            let (_, contents) = try JournalFile.open(path)
            #expect(contents.records == (0...3).map(Self.line) && contents.batches == 3 && contents.tornBytes == 0)
        }
    }

    @Test("a torn last batch is cut off when opened; the committed ones stay, and appending follows them")
    func tornTailCutOff() throws {
        try Self.inDirectory { directory in
            let path = directory + "/journal"
            do {
                let (journal, _) = try JournalFile.open(path)
                try journal.append([Self.line(0)])
            }
            let committed = try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int ?? 0
            // Half a batch, as a crash in the middle of its write leaves it.
            let handle = try #require(FileHandle(forWritingAtPath: path))
            handle.seekToEndOfFile()
            var appender = JournalAppender(after: JournalContents(records: [], batches: 1, durableBytes: committed,
                                                                  tornBytes: 0))
            handle.write(Data(appender.append([Self.line(1), Self.line(2)]).prefix(20)))
            handle.closeFile()
            let (journal, contents) = try JournalFile.open(path)
            #expect(contents.records == [Self.line(0)] && contents.tornBytes == 20)
            #expect(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int == committed)
            try journal.append([Self.line(3)])
            let (_, again) = try JournalFile.open(path)
            #expect(again.records == [Self.line(0), Self.line(3)] && again.tornBytes == 0)
        }
    }

    @Test("damage before a later batch: the error names the file and the offset, and the file is left as it was")
    func damageStops() throws {
        try Self.inDirectory { directory in
            let path = directory + "/journal"
            do {
                let (journal, _) = try JournalFile.open(path)
                try journal.append([Self.line(0)])
                try journal.append([Self.line(1)])
            }
            var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
            bytes[JournalScan.header.count + 10] ^= 1
            try Data(bytes).write(to: URL(fileURLWithPath: path))
            #expect(throws: JournalFileError.damaged(path: path, JournalDamage(
                offset: JournalScan.header.count, reason: "a record's checksum does not match its bytes"))) {
                try JournalFile.open(path)
            }
            #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == bytes, "the damaged file was changed")
            do {
                _ = try JournalFile.open(path)
            } catch {
                #expect("\(error)".contains(path) && "\(error)".contains("byte 8"))
            }
        }
    }

    @Test("compaction keeps exactly what it is given, shrinks the file, and appending goes on after it")
    func compaction() throws {
        try Self.inDirectory { directory in
            let path = directory + "/journal"
            let (journal, _) = try JournalFile.open(path)
            for index in 0..<50 { try journal.append([Self.line(index)]) }
            let before = journal.length
            try journal.compact(keeping: [Self.line(48), Self.line(49)])
            #expect(journal.length < before / 10)
            try journal.append([Self.line(50)])
            let (_, contents) = try JournalFile.open(path)
            #expect(contents.records == [Self.line(48), Self.line(49), Self.line(50)] && contents.batches == 2)
            #expect(!FileManager.default.fileExists(atPath: path + ".compacting"))
        }
    }

    @Test("a symbolic link or a directory where the journal belongs is refused, not followed")
    func notARegularFile() throws {
        try Self.inDirectory { directory in
            try FileManager.default.createSymbolicLink(atPath: directory + "/journal", withDestinationPath: "/etc/passwd")
            #expect(throws: JournalFileError.notARegularFile(path: directory + "/journal")) {
                try JournalFile.open(directory + "/journal")
            }
            try FileManager.default.createDirectory(atPath: directory + "/dir", withIntermediateDirectories: false)
            #expect(throws: JournalFileError.notARegularFile(path: directory + "/dir")) {
                try JournalFile.open(directory + "/dir")
            }
        }
    }

    @Test("a second holder of the state directory is refused with the first one's PID, until the first lets go")
    func lock() throws {
        try Self.inDirectory { directory in
            let path = directory + "/lock"
            var first: StateLock? = try StateLock.acquire(path)
            #expect(throws: JournalFileError.locked(path: path, pid: ProcessInfo.processInfo.processIdentifier)) {
                try StateLock.acquire(path)
            }
            #expect(first != nil)
            first = nil
            _ = try StateLock.acquire(path)
        }
    }
}
