/// An inclusive run of sequence numbers, `lower...upper`, as carried in a `sack=` field.
///
/// A receiver uses ranges to tell the sender which segments beyond its count it already holds, so the sender
/// replays exactly the holes between them.
public struct SequenceRange: Hashable, Sendable, CustomStringConvertible {
    /// The first sequence number in the range.
    public var lower: UInt64
    /// The last sequence number in the range (inclusive); never below `lower`.
    public var upper: UInt64

    /// Creates a range; returns nil when `upper < lower`, so an empty or inverted range cannot exist.
    public init?(lower: UInt64, upper: UInt64) {
        guard lower <= upper else { return nil }
        self.lower = lower
        self.upper = upper
    }

    /// A range holding one sequence number.
    public init(single value: UInt64) {
        lower = value
        upper = value
    }

    /// Whether `value` lies inside the range.
    public func contains(_ value: UInt64) -> Bool { value >= lower && value <= upper }

    /// How many sequence numbers the range covers.
    public var count: UInt64 { upper - lower + 1 }

    /// `4` for a single number, `4-7` otherwise: the form used on the wire and in the logs.
    public var description: String { lower == upper ? "\(lower)" : "\(lower)-\(upper)" }
}

extension Array where Element == SequenceRange {
    /// The ranges joined by commas, as on the wire and in the logs (`4-7,9`).
    public var wireDescription: String { map(\.description).joined(separator: ",") }
}
