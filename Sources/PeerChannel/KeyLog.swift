import PeerCrypto
import PeerIdentity
import PeerSession
import PeerWire

/// The text of a key log (`--keylog FILE`, as SSLKEYLOGFILE is for TLS): one line per completed handshake,
///
///     PEER2 OUR-INDEX THEIR-INDEX OUR-RUN THEIR-RUN OUR-NAME THEIR-NAME SEND-KEY RECEIVE-KEY
///
/// indexes in 8 hex digits, runs in 16 (as `sid=` shows them), the names as `--name` allows them, the keys in 64.
/// Datagrams naming THEIR-INDEX were sealed by OUR-NAME with SEND-KEY; datagrams naming OUR-INDEX by THEIR-NAME
/// with RECEIVE-KEY: one side's line opens both directions, and the other side's line for the same handshake
/// says the same with the roles swapped. Blank lines and lines starting with `#` are ignored.
public enum KeyLog {
    /// The first word of every line this revision writes.
    public static let tag = "PEER2"

    /// A line that is not an entry, with the reason, for the reader to report and skip.
    public struct Problem: Sendable, Equatable {
        /// 1 for the first line.
        public var lineNumber: Int
        /// Why the line was skipped.
        public var reason: String
    }

    /// The entries a key log's text holds, and the lines that are not entries. Never trusts the text: a line
    /// that does not parse is a `Problem`, never a crash.
    public struct Contents: Sendable {
        /// The entries, in the order of their lines.
        public var entries: [KeyLogEntry] = []
        /// The lines skipped.
        public var problems: [Problem] = []
    }

    /// The entry's line, without a newline. A name that the wire could not carry (so never one a handshake
    /// authenticated) is written `-`, so the line keeps its nine words.
    public static func line(for entry: KeyLogEntry) -> String {
        func name(_ text: String) -> String { Wire.isValidName(text) ? text : "-" }
        return [tag, hex8(entry.localIndex), hex8(entry.remoteIndex), entry.localRun.description,
                entry.remoteRun.description, name(entry.localName), name(entry.remoteName),
                Hex.encode(entry.sendingKey.bytes), Hex.encode(entry.receivingKey.bytes)].joined(separator: " ")
    }

    /// Every entry in `text`, with a `Problem` for each other line that is not blank or a comment.
    public static func parse(_ text: String) -> Contents {
        var contents = Contents()
        // Bytes, not Characters: CR LF is one Character, and a space before a combining mark would be another.
        for (offset, line) in text.utf8.split(separator: 0x0A, omittingEmptySubsequences: false).enumerated() {
            let words = line.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 || $0 == 0x0D }).map { Substring($0) }
            guard let first = words.first, !first.hasPrefix("#") else { continue }
            do {
                contents.entries.append(try entry(words: words))
            } catch {
                contents.problems.append(Problem(lineNumber: offset + 1, reason: error.reason))
            }
        }
        return contents
    }

    /// Why a line is not an entry.
    struct LineError: Error {
        var reason: String
    }

    /// The entry a line's words (split at spaces, tabs and CRs) spell.
    static func entry(words: [Substring]) throws(LineError) -> KeyLogEntry {
        guard words.first.map(String.init) == tag else {
            throw LineError(reason: "does not start with \(tag)")
        }
        guard words.count == 9 else { throw LineError(reason: "has \(words.count) words, not 9") }
        guard let localIndex = hexNumber(words[1], digits: 8).map(UInt32.init(truncatingIfNeeded:)),
              let remoteIndex = hexNumber(words[2], digits: 8).map(UInt32.init(truncatingIfNeeded:))
        else { throw LineError(reason: "an index is not 8 hex digits") }
        guard let localRun = hexNumber(words[3], digits: 16), let remoteRun = hexNumber(words[4], digits: 16) else {
            throw LineError(reason: "a run is not 16 hex digits")
        }
        let localName = String(words[5])
        let remoteName = String(words[6])
        guard Wire.isValidName(localName), Wire.isValidName(remoteName) else {
            throw LineError(reason: "a name is not one --name allows")
        }
        guard words[7].utf8.count == 64, words[8].utf8.count == 64,
              let sendingKey = Hex.decode(words[7]), let receivingKey = Hex.decode(words[8])
        else { throw LineError(reason: "a key is not 64 hex digits") }
        return KeyLogEntry(
            localIndex: localIndex, remoteIndex: remoteIndex, localRun: SessionID(rawValue: localRun),
            remoteRun: SessionID(rawValue: remoteRun), localName: localName, remoteName: remoteName,
            sendingKey: Secret(sendingKey), receivingKey: Secret(receivingKey))
    }

    /// Eight lower-case hex digits, as an index is written.
    public static func hex8(_ value: UInt32) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: max(0, 8 - digits.count)) + digits
    }

    /// The number exactly `digits` hex digits spell, or nil (a sign, a space or another length included).
    static func hexNumber(_ text: Substring, digits: Int) -> UInt64? {
        guard text.utf8.count == digits, text.utf8.allSatisfy(isHexDigit) else { return nil }
        return UInt64(text, radix: 16)
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
             UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }
}
