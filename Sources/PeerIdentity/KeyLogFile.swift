import Glibc

/// The file `--keylog` appends each handshake's keys to (as SSLKEYLOGFILE is for TLS), kept as private as an
/// identity: created mode 0600, and refused if it is a symbolic link, not a regular file, or open to other users.
/// Whoever reads it can read and forge the conversations it lists.
public final class KeyLogFile: Sendable {
    /// The file's path, for messages.
    public let path: String
    private let descriptor: Int32

    /// Opens `path` for appending, creating it mode 0600 when it does not exist. Throws, with the sentence to print,
    /// when it is a symbolic link or not a regular file, when group or others have any permission on it (`chmod 600`
    /// fixes that), or when the system refuses.
    public init(appendingTo path: String) throws(StateFileError) {
        let what = "key log"
        // O_NONBLOCK: a FIFO put in its place must not hang the chat; it is refused below like any non-file.
        let opened = open(path, O_WRONLY | O_APPEND | O_CREAT | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0o600)
        guard opened >= 0 else {
            let error = errno
            if error == ELOOP {
                throw StateFileError(.notRegularFile, "\(what) \(path) is a symbolic link, not a regular file; "
                                     + "give the file it points to instead")
            }
            throw StateFileError(.system, "cannot open \(what) \(path): \(SecureFile.describe(error))")
        }
        var status = stat()
        guard fstat(opened, &status) == 0 else {
            let error = errno
            close(opened)
            throw StateFileError(.system, "cannot open \(what) \(path): \(SecureFile.describe(error))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            close(opened)
            throw StateFileError(.notRegularFile, "\(what) \(path) is not a regular file; give another file")
        }
        let mode = status.st_mode & 0o7777
        guard mode & SecureFile.notOwnerBits == 0 else {
            close(opened)
            let access = mode & 0o044 != 0 ? "readable" : "writable"
            throw StateFileError(.exposed, "\(what) \(path) is \(access) by other users (mode "
                                 + "\(SecureFile.octal(mode))); run chmod 600 \(path)")
        }
        self.path = path
        descriptor = opened
    }

    /// Appends `line` and a newline with one `write(2)`, so that lines from two processes sharing the file (both
    /// sides of a conversation) never interleave. False when it could not be written whole (a full disk).
    public func append(_ line: String) -> Bool {
        var bytes = Array((line + "\n").utf8)
        defer { Hex.wipe(&bytes) }
        var offset = 0
        while offset < bytes.count {
            let written = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return write(descriptor, base + offset, raw.count - offset)
            }
            if written < 0, errno == EINTR { continue }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    /// A key log's text, to read datagrams with (`peer decode`). Unlike `init(appendingTo:)` it accepts a file
    /// others may read: refusing it would protect nothing. Throws for a missing file, a symbolic link, anything
    /// but a regular file, more than 16 MiB, or text that is not UTF-8.
    public static func read(_ path: String) throws(StateFileError) -> String {
        guard let text = try SecureFile.read(path, what: "key log", refusedModes: 0, maxBytes: 16 << 20) else {
            throw StateFileError(.missing, "key log \(path) does not exist (write one with --keylog \(path))")
        }
        return text
    }

    deinit { close(descriptor) }
}
