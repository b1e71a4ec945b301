#if canImport(Glibc)
import Glibc
#endif

/// A journal on disk: read back and cut to its durable length when opened, then appended to one synced batch at a
/// time, and rewritten whole when compacted. The format and its reading are `JournalScan`'s and
/// `JournalAppender`'s (docs/STATE.md); this is only their I/O.
///
/// Not thread-safe: one owner appends.
public final class JournalFile {
    /// The file's path.
    public let path: String
    private var descriptor: Int32
    private var appender: JournalAppender

    /// Opens (creating, mode 0600) the journal at `path`, reads back its committed records, and cuts off a torn
    /// tail so the next batch follows the last committed one.
    /// - Returns: The file and what it held (`tornBytes` says how much was cut off).
    /// - Throws: `.damaged` when committed bytes do not read back (nothing is changed then), `.notARegularFile`,
    ///   `.system` when the file cannot be opened, read, cut or synced.
    public static func open(_ path: String) throws(JournalFileError) -> (JournalFile, JournalContents) {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP || code == EISDIR { throw .notARegularFile(path: path) }
            throw .system(path: path, call: "open", errno: code)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else {
            close(descriptor)
            throw .notARegularFile(path: path)
        }
        let bytes: [UInt8]
        let contents: JournalContents
        do throws(JournalFileError) {
            bytes = try readAll(descriptor, path: path)
            do throws(JournalDamage) {
                contents = try JournalScan.scan(bytes)
            } catch {
                throw .damaged(path: path, error)
            }
            if contents.tornBytes > 0 {
                guard ftruncate(descriptor, off_t(contents.durableBytes)) == 0 else {
                    throw .system(path: path, call: "ftruncate", errno: errno)
                }
                guard fdatasync(descriptor) == 0 else { throw .system(path: path, call: "fdatasync", errno: errno) }
            }
        } catch {
            close(descriptor)
            throw error
        }
        let file = JournalFile(path: path, descriptor: descriptor, appender: JournalAppender(after: contents))
        return (file, contents)
    }

    private init(path: String, descriptor: Int32, appender: JournalAppender) {
        self.path = path
        self.descriptor = descriptor
        self.appender = appender
    }

    deinit {
        close(descriptor)
    }

    /// The journal's length, every committed batch included.
    public var length: Int { appender.length }

    /// Writes `records` as one batch and syncs it: when this returns, they survive a crash or power loss.
    /// - Throws: `.system` (the disk is full, an I/O error): the batch is not committed, and the file is cut back
    ///   to where it was, so what follows is appended after the last committed batch.
    public func append(_ records: [JournalRecord]) throws(JournalFileError) {
        let before = appender
        let bytes = appender.append(records)
        do throws(JournalFileError) {
            try Self.writeAll(descriptor, bytes, at: before.length, path: path)
            guard fdatasync(descriptor) == 0 else { throw .system(path: path, call: "fdatasync", errno: errno) }
        } catch {
            appender = before
            _ = ftruncate(descriptor, off_t(before.length))
            throw error
        }
    }

    /// Replaces the journal with one batch of `records` (what is still needed), atomically: a new file beside it,
    /// synced, renamed over it, and the directory synced. A crash at any point leaves the old journal or the new.
    public func compact(keeping records: [JournalRecord]) throws(JournalFileError) {
        let temporary = path + ".compacting"
        _ = unlink(temporary)
        let fresh = Glibc.open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fresh >= 0 else { throw .system(path: temporary, call: "open", errno: errno) }
        var appender = JournalAppender()
        let bytes = appender.append(records)
        do throws(JournalFileError) {
            try Self.writeAll(fresh, bytes, at: 0, path: temporary)
            guard fdatasync(fresh) == 0 else { throw .system(path: temporary, call: "fdatasync", errno: errno) }
            guard rename(temporary, path) == 0 else { throw .system(path: path, call: "rename", errno: errno) }
        } catch {
            close(fresh)
            _ = unlink(temporary)
            throw error
        }
        Self.syncDirectory(of: path)
        close(descriptor)
        descriptor = fresh
        self.appender = appender
    }

    // MARK: I/O

    static func readAll(_ descriptor: Int32, path: String) throws(JournalFileError) -> [UInt8] {
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let count = chunk.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, off_t(bytes.count)) }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, call: "read", errno: errno)
            }
            if count == 0 { return bytes }
            bytes += chunk.prefix(count)
        }
    }

    static func writeAll(_ descriptor: Int32, _ bytes: [UInt8], at offset: Int, path: String) throws(JournalFileError) {
        var written = 0
        while written < bytes.count {
            let count = bytes.withUnsafeBytes { buffer in
                pwrite(descriptor, buffer.baseAddress.map { $0 + written }, buffer.count - written,
                       off_t(offset + written))
            }
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(path: path, call: "write", errno: errno)
            }
            written += count
        }
    }

    /// Makes a rename in `path`'s directory durable (best effort: some filesystems refuse to sync a directory).
    static func syncDirectory(of path: String) {
        let directory = path.lastIndex(of: "/").map { String(path[..<$0]) } ?? "."
        let descriptor = Glibc.open(directory.isEmpty ? "/" : directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else { return }
        _ = fsync(descriptor)
        close(descriptor)
    }
}
