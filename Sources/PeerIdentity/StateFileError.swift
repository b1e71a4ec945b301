/// Why an identity, known-peers or pre-shared key file (or the directory holding them) was refused or could not
/// be written, with one sentence for a person that names the file and, where there is one, the fix.
public struct StateFileError: Error, Equatable, CustomStringConvertible {
    /// What went wrong, for code that must tell the cases apart (tests, and later the handshake's log events).
    public enum Reason: String, Equatable, Sendable {
        /// Other users may read (or change) a file that must be ours alone; `chmod 600` fixes it.
        case exposed
        /// A symbolic link, a directory, a device or a pipe where a regular file belongs.
        case notRegularFile
        /// The contents are not what this version writes (or were cut short, or damaged).
        case malformed
        /// A name that could leave the state directory (`..`, `/`) or cannot be a file name.
        case unsafeName
        /// Neither the state directory, `XDG_STATE_HOME` nor `HOME` says where state lives.
        case noStateDirectory
        /// A file that must exist does not (a pre-shared key is never created on its own).
        case missing
        /// The operating system refused to read, create or write (the sentence carries its reason).
        case system
    }

    /// Which case this is.
    public var reason: Reason
    /// The sentence shown to a person, e.g. "identity file /home/a/x is readable by other users (mode 0644):
    /// run chmod 600 /home/a/x".
    public var message: String

    /// Wraps a reason and its sentence.
    public init(_ reason: Reason, _ message: String) {
        self.reason = reason
        self.message = message
    }

    public var description: String { message }
}
