/// Where a segment sits within a message that was split across several datagrams: `frag=index/count`.
public struct Fragment: Hashable, Sendable, CustomStringConvertible {
    /// 1-based position of this piece.
    public var index: Int
    /// How many pieces the message has; at least 2 (a message in one piece carries no fragment field).
    public var count: Int

    /// Creates a fragment position; nil unless `1 <= index <= count` and `2 <= count <= maxCount`.
    public init?(index: Int, count: Int) {
        guard count >= 2, count <= Fragment.maxCount, index >= 1, index <= count else { return nil }
        self.index = index
        self.count = count
    }

    /// The most pieces a message may have; with `Wire.maxSegmentBody` bytes each this bounds a message
    /// (and the memory a receiver spends reassembling one) to a little over 1 MiB.
    public static let maxCount = 1100

    /// Whether this is the last piece, after which the message is complete.
    public var isLast: Bool { index == count }

    /// `index/count`, as on the wire.
    public var description: String { "\(index)/\(count)" }
}
