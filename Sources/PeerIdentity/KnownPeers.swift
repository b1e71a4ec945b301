import Glibc

/// The keys this peer has pinned, by name: trust on first use, like SSH's known_hosts.
///
/// The file (`known-peers` in the state directory) has one line per name:
///
///     # peer known peers v1: NAME PUBLIC-KEY FIRST-SEEN # FINGERPRINT; peer forget NAME removes one.
///     bob 8e0a…(64 hex digits) 2025-06-01T12:00:00Z # ab3f-91c2-07de-5a10-c4b8-2f6e-9d03-71aa
///
/// The name is written as it is, except that `%`, `#`, spaces and control characters are `%XX` escapes of
/// their bytes (so no name can pass for a comment or shift the fields). FIRST-SEEN is UTC. Blank lines and
/// lines starting with `#` are comments. A line that cannot be read, or a second line for a name already
/// listed, is reported in `problems`, never used, and kept verbatim when the file is rewritten. Names are
/// compared as Swift compares strings (canonically equivalent spellings are one name), so two spellings that
/// look the same cannot hold two different keys.
///
/// Every change re-reads the file and rewrites it whole (temporary file, fsync, rename; mode 0600) while holding
/// a lock on its directory, so two peers of the same name changing it at once lose neither change. The file is
/// refused when other users may write it or when it is not a regular file.
public struct KnownPeers: Sendable {
    /// One pinned key.
    public struct Entry: Equatable, Sendable {
        /// The peer's name, unescaped.
        public var name: String
        /// Its 32-byte X25519 public key.
        public var publicKey: [UInt8]
        /// When it was pinned, as written (`2025-06-01T12:00:00Z`).
        public var firstSeen: String
        /// The line of the file it is on, counting from 1.
        public var lineNumber: Int

        /// The key's fingerprint.
        public var fingerprint: Fingerprint { Fingerprint(publicKey: publicKey) }
    }

    /// A line that is not used, and why.
    public struct Problem: Equatable, Sendable {
        /// Counting from 1.
        public var lineNumber: Int
        /// The line as it is in the file (it may hold anything: escape it before showing it).
        public var line: String
        /// Why it is not used, e.g. "the key is not 64 hex digits".
        public var reason: String
    }

    /// What `pin` did.
    public enum PinOutcome: Equatable, Sendable {
        /// The name was unknown: its key is now pinned.
        case pinned
        /// The name was already pinned to this key: nothing changed.
        case alreadyPinned
        /// The name is pinned to another key, which stays: nothing changed.
        case keyChanged(pinned: Entry)
    }

    /// The first line of a file `pin` creates.
    public static let fileHeader =
        "# peer known peers v1: NAME PUBLIC-KEY FIRST-SEEN # FINGERPRINT; peer forget NAME removes one."
    /// Longer files are refused unread (about ten thousand names).
    static let maxFileBytes = 1 << 20

    /// The file's path.
    public let path: String
    private var lines: [Line]
    /// The entries in use, in file order: the first line for each name.
    public private(set) var entries: [Entry]
    /// Every line not used, in file order.
    public private(set) var problems: [Problem]

    private struct Line: Sendable {
        var text: String
        var entry: Entry?
    }

    /// The known peers in `path`; none when the file does not exist. Throws `.exposed` (with the `chmod 600`
    /// sentence), `.notRegularFile` or `.system`; lines that cannot be read are `problems`, not errors.
    public static func load(from path: String) throws(StateFileError) -> KnownPeers {
        let text = try SecureFile.read(path, what: "known peers file", refusedModes: SecureFile.othersWriteBits,
                                       maxBytes: maxFileBytes)
        return KnownPeers(path: path, text: text ?? "")
    }

    /// The known peers `text` lists, as if read from `path`.
    public init(path: String, text: String) {
        self.path = path
        var split = text.fileLines
        if split.last?.isEmpty == true { split.removeLast() }  // the final newline ends a line, it starts none
        lines = []
        entries = []
        problems = []
        var firstLine: [String: Int] = [:]
        for (offset, rawLine) in split.enumerated() {
            let number = offset + 1
            let text = String(rawLine)
            switch Self.parse(rawLine, lineNumber: number) {
            case .comment:
                lines.append(Line(text: text, entry: nil))
            case .problem(let reason):
                lines.append(Line(text: text, entry: nil))
                problems.append(Problem(lineNumber: number, line: text, reason: reason))
            case .entry(let entry):
                lines.append(Line(text: text, entry: entry))
                if let first = firstLine[entry.name] {
                    problems.append(Problem(lineNumber: number, line: text,
                                            reason: "a second line for this name (line \(first) is the one used)"))
                } else {
                    firstLine[entry.name] = number
                    entries.append(entry)
                }
            }
        }
    }

    /// The key pinned for `name`, or nil when none is.
    public func lookup(_ name: String) -> [UInt8]? {
        entry(named: name)?.publicKey
    }

    /// The entry in use for `name`, or nil.
    public func entry(named name: String) -> Entry? {
        entries.first { $0.name == name }
    }

    /// Pins `publicKey` for `name` when the file has no key for it; never replaces one. `now` (seconds since
    /// 1970) is written as the first-seen time. Re-reads the file first, under the lock, so the answer is the
    /// file's, not this value's; afterwards this value is the file as written.
    /// - Precondition: `publicKey` is 32 bytes (a handshake's fixed length, never a length read from outside).
    public mutating func pin(_ name: String, publicKey: [UInt8], now: Int = time(nil)) throws(StateFileError)
        -> PinOutcome {
        precondition(publicKey.count == Identity.keyBytes, "an X25519 public key is 32 bytes")
        guard !name.isEmpty else {
            throw StateFileError(.unsafeName, "cannot pin a key for an empty name in \(path)")
        }
        let path = self.path
        let (outcome, updated) = try Self.withDirectoryLock(of: path) { () throws(StateFileError) in
            var current = try Self.load(from: path)
            if let pinned = current.entry(named: name) {
                return (pinned.publicKey == publicKey ? PinOutcome.alreadyPinned : .keyChanged(pinned: pinned), current)
            }
            var texts = current.lines.map(\.text)
            if texts.isEmpty { texts.append(Self.fileHeader) }
            texts.append("\(Self.escape(name)) \(Hex.encode(publicKey)) \(Self.timestamp(now)) "
                         + "# \(Fingerprint(publicKey: publicKey))")
            current = try Self.rewrite(path, texts)
            return (.pinned, current)
        }
        self = updated
        return outcome
    }

    /// Removes every line for `name` (a second one too) and returns the entries removed, the one in use first;
    /// empty when there were none, and then the file is not touched. Lines with problems are never removed.
    public mutating func forget(_ name: String) throws(StateFileError) -> [Entry] {
        let path = self.path
        // Nothing to remove needs no lock, and no directory: forgetting in a state directory never made is fine.
        let preview = try Self.load(from: path)
        guard preview.lines.contains(where: { $0.entry?.name == name }) else {
            self = preview
            return []
        }
        let (removed, updated) = try Self.withDirectoryLock(of: path) { () throws(StateFileError) in
            let current = try Self.load(from: path)
            let removed = current.lines.compactMap(\.entry).filter { $0.name == name }
            guard !removed.isEmpty else { return (removed, current) }
            let kept = current.lines.filter { $0.entry?.name != name }.map(\.text)
            return (removed, try Self.rewrite(path, kept))
        }
        self = updated
        return removed
    }

    // MARK: The file

    private enum ParsedLine {
        case comment
        case entry(Entry)
        case problem(String)
    }

    private static func parse(_ rawLine: Substring, lineNumber: Int) -> ParsedLine {
        let line = rawLine.trimmingWhitespace()
        if line.isEmpty || line.utf8.first == UInt8(ascii: "#") { return .comment }
        let fields = line.fields
        guard fields.count >= 3, fields.count == 3 || fields[3].utf8.first == UInt8(ascii: "#") else {
            return .problem("not NAME PUBLIC-KEY FIRST-SEEN # FINGERPRINT")
        }
        guard let name = unescape(fields[0]) else { return .problem("the name is not UTF-8 with valid %XX escapes") }
        guard fields[1].utf8.count == Identity.keyBytes * 2, let key = Hex.decode(fields[1]) else {
            return .problem("the key is not \(Identity.keyBytes * 2) hex digits")
        }
        guard isTimestamp(fields[2]) else { return .problem("the first-seen time is not like 2025-06-01T12:00:00Z") }
        return .entry(Entry(name: name, publicKey: key, firstSeen: String(fields[2]), lineNumber: lineNumber))
    }

    private static func rewrite(_ path: String, _ texts: [String]) throws(StateFileError) -> KnownPeers {
        let text = texts.map { $0 + "\n" }.joined()
        try SecureFile.write(text, to: path, what: "known peers file", replace: true)
        return KnownPeers(path: path, text: text)
    }

    /// Runs `body` holding an exclusive lock on the directory of `path` (flock(2) on the directory itself, so
    /// no lock file is left behind), released when it returns.
    private static func withDirectoryLock<Result>(of path: String, _ body: () throws(StateFileError) -> Result)
        throws(StateFileError) -> Result {
        let directory = SecureFile.parentDirectory(of: path)
        let descriptor = open(directory, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        guard descriptor >= 0 else {
            throw StateFileError(.system, "cannot open the directory of known peers file \(path): "
                                 + SecureFile.describe(errno))
        }
        defer { close(descriptor) }
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else {
                throw StateFileError(.system, "cannot lock the directory of known peers file \(path): "
                                     + SecureFile.describe(errno))
            }
        }
        return try body()
    }

    // MARK: Fields

    /// `name` with `%`, `#`, spaces, controls and DEL as `%XX` (upper-case hex) escapes of their UTF-8 bytes.
    static func escape(_ name: String) -> String {
        var bytes: [UInt8] = []
        for byte in name.utf8 {
            if byte <= 0x20 || byte == 0x7F || byte == UInt8(ascii: "%") || byte == UInt8(ascii: "#") {
                bytes.append(UInt8(ascii: "%"))
                bytes.append(contentsOf: String(byte >> 4, radix: 16, uppercase: true).utf8)
                bytes.append(contentsOf: String(byte & 0x0F, radix: 16, uppercase: true).utf8)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The name `field` spells, or nil when an escape is cut short or not hex, or the bytes are not UTF-8.
    static func unescape(_ field: Substring) -> String? {
        let source = Array(field.utf8)
        var bytes: [UInt8] = []
        var index = 0
        while index < source.count {
            if source[index] == UInt8(ascii: "%") {
                guard index + 2 < source.count,
                      let value = Hex.decode(String(decoding: source[(index + 1)...(index + 2)], as: UTF8.self))
                else { return nil }
                bytes.append(contentsOf: value)
                index += 3
            } else {
                bytes.append(source[index])
                index += 1
            }
        }
        guard !bytes.isEmpty else { return nil }
        return String(validating: bytes, as: UTF8.self)
    }

    /// `seconds` since 1970 as UTC, `2025-06-01T12:00:00Z`.
    static func timestamp(_ seconds: Int) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "1970-01-01T00:00:00Z" }
        func two(_ value: Int32) -> String { value < 10 ? "0\(value)" : "\(value)" }
        return "\(parts.tm_year + 1900)-\(two(parts.tm_mon + 1))-\(two(parts.tm_mday))T"
            + "\(two(parts.tm_hour)):\(two(parts.tm_min)):\(two(parts.tm_sec))Z"
    }

    private static func isTimestamp(_ field: Substring) -> Bool {
        let bytes = Array(field.utf8)
        let shape = Array("0000-00-00T00:00:00Z".utf8)
        guard bytes.count == shape.count else { return false }
        return zip(bytes, shape).allSatisfy { byte, expected in
            expected == UInt8(ascii: "0") ? (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) : byte == expected
        }
    }
}
