import PeerSession
import PeerWire

/// One log line's content: an event with when it happened and whose session decided it.
public struct LogRecord: Sendable {
    /// Wall-clock time, microseconds since the Unix epoch.
    public var wallMicroseconds: Int64
    /// This side's display name.
    public var name: String
    /// This side's session.
    public var session: SessionID
    /// What happened.
    public var event: Event

    /// Collects a record.
    public init(wallMicroseconds: Int64, name: String, session: SessionID, event: Event) {
        self.wallMicroseconds = wallMicroseconds
        self.name = name
        self.session = session
        self.event = event
    }
}

/// How log lines are written.
public enum LogFormat: String, Sendable, CaseIterable {
    /// One readable line per event: `12:00:01.234 alice#0a1f resend seq=4 tx=2 reason=count`.
    case text
    /// One JSON object per line (JSON Lines), with the same event names and fields.
    case json
}
