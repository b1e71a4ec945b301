/// Why a datagram is not one of the original client's: the reason a `reject` event gives.
public enum SeedDecodeError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Zero bytes.
    case empty
    /// Longer than the original's 1024-byte receive buffer: no original client can have sent it.
    case tooLong(bytes: Int)
    /// The bytes are not UTF-8 (the original would crash decoding them; we only refuse them).
    case invalidUTF8
    /// No ` -` before the end: neither `TEXT -COUNT` nor `TEXT -resend`.
    case noSuffix
    /// ` -` is the very end: the count is missing.
    case emptyCount
    /// What follows the last ` -` is neither `resend` nor decimal digits; it is given, shortened.
    case notACount(String)
    /// The count does not fit in 64 bits.
    case countTooLarge

    /// The reason, as a `reject` event gives it.
    public var description: String {
        switch self {
        case .empty: "empty datagram"
        case .tooLong(let bytes):
            "\(bytes) bytes: longer than the \(SeedDatagram.maxBytes) bytes an original client can send"
        case .invalidUTF8: "not valid UTF-8"
        case .noSuffix: "no ' -COUNT' or ' -resend' at the end"
        case .emptyCount: "nothing after the final ' -': the count is missing"
        case .notACount(let tail): "'\(tail)' after the final ' -' is neither 'resend' nor a decimal count"
        case .countTooLarge: "count too large"
        }
    }
}
