#if canImport(Glibc)
import Glibc
#endif

/// The state directory held by one process: an exclusive `flock` on its `lock` file, which also holds the PID of
/// the process that has it, so a second peer started with the same directory refuses with that PID rather than
/// both writing one journal. The kernel lets go of the lock when the process ends, however it ends (kill -9
/// included), so a stale lock file never keeps anyone out.
public final class StateLock {
    /// The lock file's path.
    public let path: String
    private let descriptor: Int32

    /// Takes the lock at `path` (creating the file, mode 0600), or throws `.locked` with the holder's PID.
    public static func acquire(_ path: String) throws(JournalFileError) -> StateLock {
        let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard descriptor >= 0 else {
            let code = errno
            if code == ELOOP || code == EISDIR { throw .notARegularFile(path: path) }
            throw .system(path: path, call: "open", errno: code)
        }
        guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
            let code = errno
            let holder = code == EWOULDBLOCK ? Self.pid(in: descriptor) : nil
            close(descriptor)
            if code == EWOULDBLOCK { throw .locked(path: path, pid: holder) }
            throw .system(path: path, call: "flock", errno: code)
        }
        let text = Array("\(getpid())\n".utf8)
        _ = ftruncate(descriptor, 0)
        _ = text.withUnsafeBytes { pwrite(descriptor, $0.baseAddress, $0.count, 0) }
        return StateLock(path: path, descriptor: descriptor)
    }

    private init(path: String, descriptor: Int32) {
        self.path = path
        self.descriptor = descriptor
    }

    deinit {
        close(descriptor)  // releases the lock
    }

    /// The PID the lock file holds, if it is one (at most 16 bytes of digits are read).
    static func pid(in descriptor: Int32) -> Int32? {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return nil }
        let text = String(decoding: bytes.prefix(count), as: UTF8.self).trimmingCharactersNotDigits()
        return Int32(text)
    }
}

extension String {
    /// The leading decimal digits of the string.
    func trimmingCharactersNotDigits() -> String { String(prefix { $0.isASCII && $0.isNumber }) }
}
