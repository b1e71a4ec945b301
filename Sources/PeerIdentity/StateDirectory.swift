import Glibc

/// Where one peer name's state lives: its identity and its known peers.
///
/// `--state-dir DIR` when given (DIR itself, whatever the name); else `$XDG_STATE_HOME/peer/NAME`; else
/// `$HOME/.local/state/peer/NAME`. The environment is passed in, never read here, so tests use a temporary
/// directory and never the real home. A name that could leave `…/peer/` is refused, not cleaned up.
public struct StateDirectory: Equatable, Sendable {
    /// The file holding the identity, inside the directory.
    public static let identityFileName = "identity"
    /// The file holding the known peers, inside the directory.
    public static let knownPeersFileName = "known-peers"

    /// The directory's path (not necessarily existing yet: `create()` makes it).
    public let path: String

    /// A directory given as it is (`--state-dir`).
    public init(path: String) {
        self.path = path
    }

    /// The state directory of `name`: `stateDirectory` when given, else under `XDG_STATE_HOME`, else under
    /// `HOME` in `environment`. Either variable counts only when it is an absolute path (the XDG rule for
    /// relative ones: ignore them). Throws `.unsafeName` when `name` would be used as a directory name and is
    /// empty, `.` or `..`, or holds a `/` or a NUL; `.noStateDirectory` when neither variable helps.
    public static func forName(_ name: String, stateDirectory: String? = nil, environment: [String: String])
        throws(StateFileError) -> StateDirectory {
        if let stateDirectory { return StateDirectory(path: stateDirectory) }
        let root: String
        if let state = environment["XDG_STATE_HOME"], state.hasPrefix("/") {
            root = joined(state, "peer")
        } else if let home = environment["HOME"], home.hasPrefix("/") {
            root = joined(home, ".local/state/peer")
        } else {
            throw StateFileError(.noStateDirectory, "there is no state directory for \(name): neither "
                                 + "XDG_STATE_HOME nor HOME is set to an absolute path")
        }
        guard isSafeDirectoryName(name) else {
            throw StateFileError(.unsafeName, "the name \(name.debugDescription) cannot be a directory in \(root) "
                                 + "(empty, \".\", \"..\", \"/\" and NUL are not allowed); choose another --name")
        }
        return StateDirectory(path: joined(root, name))
    }

    /// Whether `name` names exactly one directory entry below its parent: not empty, not `.` or `..`, no `/`
    /// (which would descend or climb) and no NUL (which would cut the path short), at most 255 bytes.
    public static func isSafeDirectoryName(_ name: String) -> Bool {
        let bytes = Array(name.utf8)
        return !bytes.isEmpty && bytes.count <= 255 && name != "." && name != ".."
            && !bytes.contains(UInt8(ascii: "/")) && !bytes.contains(0)
    }

    /// `identity` in this directory.
    public var identityPath: String { Self.joined(path, Self.identityFileName) }
    /// `known-peers` in this directory.
    public var knownPeersPath: String { Self.joined(path, Self.knownPeersFileName) }

    /// Makes the directory and any missing parent, each mode 0700 (the XDG rule), and checks the result is a
    /// directory other users cannot write to (they could otherwise swap our files for theirs).
    public func create() throws(StateFileError) {
        var prefix = path.hasPrefix("/") ? "/" : ""
        for component in path.split(separator: "/") {
            prefix += component
            if mkdir(prefix, 0o700) != 0 && errno != EEXIST {
                throw StateFileError(.system, "cannot create the state directory \(path): \(prefix): "
                                     + SecureFile.describe(errno))
            }
            prefix += "/"
        }
        var status = stat()
        guard stat(path, &status) == 0 else {
            throw StateFileError(.system, "cannot use the state directory \(path): \(SecureFile.describe(errno))")
        }
        guard status.st_mode & S_IFMT == S_IFDIR else {
            throw StateFileError(.notRegularFile, "the state directory \(path) is not a directory")
        }
        let mode = status.st_mode & 0o7777
        guard mode & SecureFile.othersWriteBits == 0 else {
            throw StateFileError(.exposed, "the state directory \(path) is writable by other users (mode "
                                 + "\(SecureFile.octal(mode))); run chmod 700 \(path)")
        }
    }

    private static func joined(_ directory: String, _ name: String) -> String {
        directory.hasSuffix("/") ? directory + name : directory + "/" + name
    }
}
