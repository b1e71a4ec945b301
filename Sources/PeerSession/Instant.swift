/// A point in time on whatever clock drives the session, in microseconds from an arbitrary origin.
///
/// The protocol core never reads a clock: the runtime passes the monotonic clock, the simulator a virtual one.
public struct Instant: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// Microseconds since the clock's origin.
    public var microseconds: Int64

    /// Wraps a microsecond count.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// The clock's origin.
    public static let zero = Instant(microseconds: 0)

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.microseconds < rhs.microseconds }

    /// The instant `span` later.
    public static func + (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(microseconds: lhs.microseconds &+ rhs.microseconds)
    }

    /// The instant `span` earlier.
    public static func - (lhs: Instant, rhs: TimeSpan) -> Instant {
        Instant(microseconds: lhs.microseconds &- rhs.microseconds)
    }

    /// How long after `rhs` this instant is (negative if before).
    public static func - (lhs: Instant, rhs: Instant) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds &- rhs.microseconds)
    }

    /// Seconds with microsecond precision, for logs.
    public var description: String { TimeSpan(microseconds: microseconds).description }
}

/// A length of time in microseconds.
public struct TimeSpan: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The length in microseconds.
    public var microseconds: Int64

    /// Wraps a microsecond count.
    public init(microseconds: Int64) { self.microseconds = microseconds }

    /// `value` milliseconds.
    public static func milliseconds(_ value: Int64) -> TimeSpan { TimeSpan(microseconds: value * 1000) }
    /// `value` seconds.
    public static func seconds(_ value: Double) -> TimeSpan { TimeSpan(microseconds: Int64(value * 1_000_000)) }
    /// Nothing.
    public static let zero = TimeSpan(microseconds: 0)

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.microseconds < rhs.microseconds }
    public static func + (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds &+ rhs.microseconds)
    }
    public static func - (lhs: TimeSpan, rhs: TimeSpan) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds &- rhs.microseconds)
    }
    public static func * (lhs: TimeSpan, rhs: Int64) -> TimeSpan {
        TimeSpan(microseconds: lhs.microseconds.multipliedReportingOverflow(by: rhs).partialValue)
    }
    public static func / (lhs: TimeSpan, rhs: Int64) -> TimeSpan { TimeSpan(microseconds: lhs.microseconds / rhs) }

    /// The span in milliseconds, fractional.
    public var milliseconds: Double { Double(microseconds) / 1000 }

    /// `0.25ms`, `12.5ms` or `4.5s`: short, for people (log fields use plain milliseconds instead).
    public var description: String {
        let magnitude = abs(microseconds)
        if magnitude >= 1_000_000 { return "\(Double(microseconds / 100_000) / 10)s" }
        if magnitude >= 10_000 { return "\(Double(microseconds / 100) / 10)ms" }
        return "\(Double(microseconds) / 1000)ms"
    }
}
