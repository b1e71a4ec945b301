import PeerWire

/// Who runs a session and how: the values the runtime injects.
public struct SessionConfiguration: Sendable {
    /// This side's display name, announced in every datagram; must pass `Wire.isValidName`.
    public var name: String
    /// This run's identity; a later run must have a larger one.
    public var sessionID: SessionID
    /// After input ends, give up waiting once nothing has been heard for this long.
    public var linger: TimeSpan
    /// Timers and limits.
    public var tunables: Tunables
    /// Random bits drawn for this run: they make our PING timestamps unguessable, so only the process at the
    /// destination address, which receives them, can answer one (the proof a restarted run must give). The
    /// runtime draws them from the system's generator; the default, derived from the identity, is for tests.
    public var entropy: UInt64
    /// How the session's datagrams travel: readable on their own (PEER/1), or compact inside a secure channel.
    public var carriage: Carriage

    /// Collects the configuration.
    public init(name: String, sessionID: SessionID, linger: TimeSpan = .seconds(5), tunables: Tunables = .standard,
                entropy: UInt64? = nil, carriage: Carriage = .readable) {
        self.name = name
        self.sessionID = sessionID
        self.linger = linger
        self.tunables = tunables
        self.entropy = entropy ?? (sessionID.rawValue &* 0x9E37_79B9_7F4A_7C15)
        self.carriage = carriage
    }

    /// How a session's datagrams travel, and so who vouches for the run that sent one.
    public enum Carriage: Sendable, Equatable {
        /// PEER/1: each datagram is its own readable bytes (`Wire`), sent as they are. Anyone can claim to be a
        /// run of the peer, so a new run is believed only once it answers one of our PINGs.
        case readable
        /// PEER/2: each datagram is compact plaintext (`CompactWire`) that a secure channel seals, adding
        /// `overhead` bytes, and takes back through `receive(authenticated:bytes:now:)` only after opening it with
        /// keys from a handshake that named the sender's run. The handshake is the proof: a new run is believed at
        /// once.
        case sealed(overhead: Int)

        /// Whether a secure channel carries the datagrams.
        public var isSealed: Bool { if case .sealed = self { true } else { false } }
        /// Bytes the carrier adds to each datagram, so that events count what goes on the wire.
        public var overhead: Int { if case .sealed(let overhead) = self { overhead } else { 0 } }
    }
}

/// A datagram the session wants sent.
public struct Transmit: Sendable {
    /// The encoded datagram.
    public var bytes: [UInt8]
    /// Which socket it leaves from.
    public var route: Route
    /// Its kind, so the runtime can log a simulated drop without decoding it again.
    public var kind: DatagramKind
    /// Its segment's sequence number, if it carries one.
    public var sequence: UInt64?
    /// The receiver's run it is addressed to (its `to`), which a compact datagram does not carry itself: a secure
    /// channel says whether it is the run its keys were agreed with.
    public var to: SessionID?
    /// Where it goes: a member's listen address, or nil for the one destination a two-party runtime was given.
    public var destination: PeerAddress?

    /// Collects a datagram to send (a core other than `Session` builds its own).
    public init(bytes: [UInt8], route: Route, kind: DatagramKind, sequence: UInt64?, to: SessionID? = nil,
                destination: PeerAddress? = nil) {
        self.bytes = bytes
        self.route = route
        self.kind = kind
        self.sequence = sequence
        self.to = to
        self.destination = destination
    }

    /// Where a datagram leaves from.
    public enum Route: Sendable {
        /// The send socket, bound to the source port.
        case sendSocket
        /// A socket opened for this one datagram: how replays leave, as in the original design.
        case freshSocket
    }
}

/// A message complete and in order, ready to show.
public struct Delivery: Sendable, Equatable {
    /// The other side's display name when the message arrived.
    public var from: String
    /// The message.
    public var text: String
    /// The sequence number of its last segment.
    public var sequence: UInt64
    /// Where it was said: nil for the room everyone is in (and for a two-party conversation), else a room's name.
    public var room: String?
    /// Whether it was said to us alone (`/msg`).
    public var isPrivate: Bool

    /// Collects a delivery.
    public init(from: String, text: String, sequence: UInt64, room: String? = nil, isPrivate: Bool = false) {
        self.from = from
        self.text = text
        self.sequence = sequence
        self.room = room
        self.isPrivate = isPrivate
    }

    /// The line shown for it, before control characters are made visible: `alice: text` in the room everyone is
    /// in, `#ops alice: text` in another room, `alice (private): text` for a private message.
    public var line: String {
        if isPrivate { return "\(from) (private): \(text)" }
        if let room { return "#\(room) \(from): \(text)" }
        return "\(from): \(text)"
    }
}

/// A member's listen address as the protocol cores see it: numeric host text and a UDP port. Pure data (the
/// runtime turns it into a socket address), so the cores stay free of I/O.
public struct PeerAddress: Hashable, Sendable, Comparable, CustomStringConvertible {
    /// The numeric host, IPv4 dotted ("127.0.0.1") or IPv6 ("::1"), as the runtime spells received sources.
    public var host: String
    /// The UDP port.
    public var port: UInt16

    /// Collects an address.
    public init(host: String, port: UInt16) {
        self.host = host
        self.port = port
    }

    /// `host:port`, with an IPv6 host in brackets.
    public var description: String { host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// Orders by host, then port: a stable order for rosters and tests.
    public static func < (lhs: PeerAddress, rhs: PeerAddress) -> Bool {
        (lhs.host, lhs.port) < (rhs.host, rhs.port)
    }
}

/// Why `submit` refused a message.
public enum SubmitError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Longer than `Session.maxMessageBytes`.
    case tooLong(bytes: Int)
    /// Input already ended (`finishInput` was called).
    case inputFinished
    /// No one else is where it would go (a group member alone, or alone in a room): nobody could receive it.
    case noRecipients(room: String)

    public var description: String {
        switch self {
        case .tooLong(let bytes): "message of \(bytes) bytes is longer than the limit of \(Session.maxMessageBytes)"
        case .inputFinished: "input has already ended"
        case .noRecipients(let room): "no one else is in #\(room) yet"
        }
    }
}

/// Where a session is in its life.
public enum SessionState: Sendable, Equatable {
    /// Exchanging messages.
    case open
    /// Everything is delivered both ways; lingering briefly to answer late datagrams.
    case closing
    /// Over; the runtime may exit.
    case closed(SessionOutcome)
}

/// How a session ended.
public struct SessionOutcome: Sendable, Equatable {
    /// Whether every segment this side sent was acknowledged: the exit status's source.
    public var everythingAcknowledged: Bool
    /// What ended it.
    public var reason: Reason

    /// What ended a session.
    public enum Reason: String, Sendable {
        /// Both sides finished and everything was delivered both ways.
        case completed
        /// Input ended and the other side stayed silent for the linger time.
        case lingerExpired = "linger-expired"
        /// The user interrupted it.
        case interrupted
    }

    /// Collects the outcome.
    public init(everythingAcknowledged: Bool, reason: Reason) {
        self.everythingAcknowledged = everythingAcknowledged
        self.reason = reason
    }
}

/// Counters for the summary line and the benchmarks.
public struct SessionStatistics: Sendable, Equatable {
    /// Messages the user submitted.
    public var messagesSent = 0
    /// Messages delivered to the user.
    public var messagesDelivered = 0
    /// Segments created (a split message has several).
    public var segmentsSent: UInt64 = 0
    /// First transmissions of segments.
    public var dataTransmissions = 0
    /// Replays of segments (RESEND datagrams).
    public var replays = 0
    /// Replays replayed again by the retransmission timer: the latest report still showed them missing, overdue.
    public var replaysLostAgain = 0
    /// Datagrams produced, of every kind.
    public var datagramsSent = 0
    /// Datagrams received and accepted.
    public var datagramsReceived = 0
    /// Segments received again after being delivered or held.
    public var duplicates = 0
    /// Datagrams refused.
    public var rejected = 0
    /// The other side's messages dropped because they could not be put together (`abandon` events).
    public var abandoned = 0
    /// Datagrams from runs not yet proven: held until the run answers its challenge, or dropped if it never does.
    public var unproven = 0
    /// Replies not sent to an unproven run because they would have exceeded 3× what it sent.
    public var repliesWithheld = 0
    /// PINGs sent to a run that claimed to be the other side, asking it to prove it.
    public var challenges = 0
    /// Segments the other side has acknowledged.
    public var acknowledged: UInt64 = 0
    /// The smoothed round-trip time, if measured.
    public var smoothedRoundTrip: TimeSpan?

    /// All counters at zero.
    public init() {}

    /// Adds another session's counters to these (several sessions of one process, as a group's members):
    /// every count summed, the messages sent and delivered too; the round trip is kept if this one has one, else
    /// taken from `other`.
    public mutating func add(_ other: SessionStatistics) {
        messagesSent += other.messagesSent
        messagesDelivered += other.messagesDelivered
        segmentsSent += other.segmentsSent
        dataTransmissions += other.dataTransmissions
        replays += other.replays
        replaysLostAgain += other.replaysLostAgain
        datagramsSent += other.datagramsSent
        datagramsReceived += other.datagramsReceived
        duplicates += other.duplicates
        rejected += other.rejected
        abandoned += other.abandoned
        unproven += other.unproven
        repliesWithheld += other.repliesWithheld
        challenges += other.challenges
        acknowledged += other.acknowledged
        if smoothedRoundTrip == nil { smoothedRoundTrip = other.smoothedRoundTrip }
    }
}

/// A PONG owed to a run that pinged us.
struct PendingPong: Sendable {
    /// The PING's `ts`.
    var echo: UInt64
    /// The run that sent it.
    var to: SessionID
}
