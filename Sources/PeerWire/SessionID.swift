/// Identifies one run of a peer. A restarted peer has a new, larger identity, so the other side can tell a
/// restart from a late datagram of the previous run.
///
/// The runtime builds it from the start time in milliseconds (high 48 bits) and 16 random bits, so identities
/// grow with time; the protocol core only compares them. On the wire it is 16 lower-case hex digits.
public struct SessionID: Hashable, Comparable, Sendable, CustomStringConvertible {
    /// The 64-bit value.
    public var rawValue: UInt64

    /// Wraps a raw value.
    public init(rawValue: UInt64) { self.rawValue = rawValue }

    /// An identity that orders by `startMilliseconds` first, with `random` breaking ties between runs that start
    /// in the same millisecond.
    public init(startMilliseconds: UInt64, random: UInt16) {
        rawValue = (startMilliseconds << 16) | UInt64(random)
    }

    public static func < (lhs: SessionID, rhs: SessionID) -> Bool { lhs.rawValue < rhs.rawValue }

    /// 16 lower-case hex digits, as on the wire.
    public var description: String {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(16)
        bytes.appendHex16(rawValue)
        return String(decoding: bytes, as: UTF8.self)
    }

    /// The start time in milliseconds that the runtime put in the high 48 bits.
    public var startMilliseconds: UInt64 { rawValue >> 16 }

    /// The last 4 hex digits: enough to tell runs apart in a log line a person reads.
    public var short: String { String(description.suffix(4)) }
}
