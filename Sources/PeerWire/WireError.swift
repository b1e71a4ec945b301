/// Why a datagram could not be decoded. Each case names the exact fault so the `reject` event can say it.
public enum WireError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Zero bytes.
    case empty
    /// Longer than any peer sends (`Wire.maxDatagramBytes`).
    case tooLarge(bytes: Int)
    /// No newline ends the header line.
    case unterminatedHeader
    /// The header does not start with `PEER/`: not ours at all.
    case notPeerProtocol
    /// `PEER/<n>` with a version this build does not speak.
    case unsupportedVersion(String)
    /// The second word is not a known datagram kind.
    case unknownKind(String)
    /// A header word that is not `key=value`, or a value that does not parse.
    case malformedField(String)
    /// The same key twice.
    case duplicateField(String)
    /// A field the kind requires is absent.
    case missingField(String)
    /// A field that this kind must not carry (a sequence number on a PING, a body on an ACK).
    case unexpectedField(String)
    /// A number too large to be real.
    case outOfRange(String)
    /// The body of a one-piece message is not valid UTF-8.
    case invalidUTF8

    /// A short English phrase, used as the `reason` of a `reject` event.
    public var description: String {
        switch self {
        case .empty: "empty datagram"
        case .tooLarge(let bytes): "datagram of \(bytes) bytes is larger than any peer sends (\(Wire.maxDatagramBytes))"
        case .unterminatedHeader: "header line has no end"
        case .notPeerProtocol: "not a peer datagram (no PEER/ header)"
        case .unsupportedVersion(let version): "unsupported protocol version \(version)"
        case .unknownKind(let kind): "unknown datagram kind \(kind)"
        case .malformedField(let field): "malformed field \(field)"
        case .duplicateField(let key): "field \(key) appears twice"
        case .missingField(let key): "missing field \(key)"
        case .unexpectedField(let key): "field \(key) does not belong in this kind of datagram"
        case .outOfRange(let key): "field \(key) is out of range"
        case .invalidUTF8: "message text is not valid UTF-8"
        }
    }
}
