/// One datagram of the original classroom clients' wire format: UTF-8 text with a suffix, nothing else.
///
/// - `TEXT -COUNT` — a first transmission; COUNT is how many first transmissions the sender has received from
///   the other side (replays are never counted).
/// - `TEXT -resend` — a replay of an earlier message, sent when a count disagreed.
///
/// The original reads with a 1024-byte buffer and parses with `split('-')`, so what we send must be at most
/// `maxBytes` long and carry no `-` in its text; `SeedText` sees to both. What we receive is parsed more
/// carefully than the original does, so any text survives.
public enum SeedDatagram: Sendable, Equatable {
    /// A first transmission, with the sender's count of our first transmissions.
    case first(text: String, count: UInt64)
    /// A replay of one of the sender's earlier messages; it carries no count.
    case resend(text: String)

    /// The original's receive buffer: anything longer is cut, possibly inside a character, which crashes it.
    public static let maxBytes = 1024
    /// The longest suffix we may write: ` -` and a count of up to 20 digits. ` -resend` is shorter, so a text of
    /// `maxTextBytes` fits either way, whatever our count has grown to by the time it leaves.
    public static let suffixReserve = 22
    /// The most text bytes one datagram of ours carries.
    public static let maxTextBytes = maxBytes - suffixReserve

    private static let resendTail = Array(" -resend".utf8)

    /// The message text.
    public var text: String {
        switch self {
        case .first(let text, _), .resend(let text): text
        }
    }

    /// The datagram's bytes, exactly as the original writes them.
    public var encoded: [UInt8] {
        switch self {
        case .first(let text, let count): Self.encodeFirst(text: Array(text.utf8), count: count)
        case .resend(let text): Self.encodeResend(text: Array(text.utf8))
        }
    }

    /// `TEXT -COUNT`.
    public static func encodeFirst(text: [UInt8], count: UInt64) -> [UInt8] {
        text + Array(" -\(count)".utf8)
    }

    /// `TEXT -resend`.
    public static func encodeResend(text: [UInt8]) -> [UInt8] {
        text + resendTail
    }

    /// Reads a datagram; never traps, whatever the bytes.
    ///
    /// It is `TEXT -resend` if it ends with ` -resend`; otherwise `TEXT -COUNT` if it ends with ` -` and decimal
    /// digits, split at the *last* ` -`, so the text itself may contain ` -` (the original's own text cannot, but
    /// ours, or a future client's, may). Anything else is refused with the reason, and so is anything longer than
    /// `maxBytes`: the original never sends more than it can read, so a longer datagram is not from one.
    public static func decode(_ bytes: [UInt8]) throws(SeedDecodeError) -> SeedDatagram {
        let all = bytes
        guard !all.isEmpty else { throw .empty }
        guard all.count <= maxBytes else { throw .tooLong(bytes: all.count) }
        guard String(validating: all, as: UTF8.self) != nil else { throw .invalidUTF8 }
        if all.count >= resendTail.count, all.suffix(resendTail.count).elementsEqual(resendTail) {
            return .resend(text: String(decoding: all.dropLast(resendTail.count), as: UTF8.self))
        }
        // The last " -": the space and hyphen are ASCII, so cutting there keeps both sides valid UTF-8.
        var separator: Int?
        var index = all.count - 2
        while index >= 0 {
            if all[index] == 0x20, all[index + 1] == 0x2D {
                separator = index
                break
            }
            index -= 1
        }
        guard let separator else { throw .noSuffix }
        let digits = all[(separator + 2)...]
        guard !digits.isEmpty else { throw .emptyCount }
        guard digits.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
            throw .notACount(String(String(decoding: digits, as: UTF8.self).prefix(20)))
        }
        var count: UInt64 = 0
        for digit in digits {
            let (times10, overflow1) = count.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(UInt64(digit - 0x30))
            guard !overflow1, !overflow2 else { throw .countTooLarge }
            count = sum
        }
        return .first(text: String(decoding: all[..<separator], as: UTF8.self), count: count)
    }

    /// Reads a datagram straight from a receive buffer; see `decode(_:)` for an array.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(SeedDecodeError) -> SeedDatagram {
        // Refused before copying: a flood of 64 KB datagrams costs no allocation.
        guard bytes.count <= maxBytes else { throw .tooLong(bytes: bytes.count) }
        return try decode(Array(bytes))
    }
}
