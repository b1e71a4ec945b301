#if canImport(Glibc)
import Glibc
#endif

/// Why a journal or the state directory's lock could not be used, in words that name the file.
public enum JournalFileError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The journal's committed bytes do not read back: peer stops and changes nothing.
    case damaged(path: String, JournalDamage)
    /// A system call failed (`errno`): the disk is full, the file is not writable, ….
    case system(path: String, call: String, errno: Int32)
    /// The path is not a regular file (a directory, a link, a device): refused rather than followed.
    case notARegularFile(path: String)
    /// Another process holds the state directory (its PID, when it wrote one).
    case locked(path: String, pid: Int32?)

    public var description: String {
        switch self {
        case .damaged(let path, let damage):
            "\(path) is \(damage) — nothing was changed; move the file aside to start without it"
        case .system(let path, let call, let code):
            "\(path): \(call) failed: \(String(cString: strerror(code)))"
        case .notARegularFile(let path):
            "\(path) is not a regular file"
        case .locked(let path, let pid):
            "\(path) is in use by another peer" + (pid.map { " (PID \($0))" } ?? "")
                + ": two processes cannot share a state directory"
        }
    }
}
