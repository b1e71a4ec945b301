/// One decoded datagram: a header of named fields and, for message segments, a body.
///
/// Every datagram carries who sent it (`from`, `session`), its sender's received count (`ack`) and what the
/// sender holds beyond that count (`sack`), and the lowest sequence number the sender still holds (`base`),
/// which lets a freshly started receiver know where the stream resumes. `Wire.encode` and `Wire.decode` turn
/// it into bytes and back; docs/PROTOCOL.md describes each field.
public struct Datagram: Equatable, Sendable {
    /// What the datagram is for.
    public var kind: DatagramKind
    /// The sender's display name (`--name`).
    public var from: String
    /// The sender's run.
    public var session: SessionID
    /// The receiver's run as the sender knows it: `ack`, `sack` and `held` count that run's segments, and a PING
    /// naming another run is not for this one. Nil until the sender has heard from any run of the receiver.
    public var to: SessionID?
    /// How many of the receiver's segments the sender has delivered in order: a cumulative acknowledgement.
    public var ack: UInt64
    /// Runs of the receiver's segments above `ack` that the sender already holds (at most `Wire.maxSackRanges`).
    public var sack: [SequenceRange]
    /// How many segments the sender holds beyond `ack` in all (present with `sack`). When the ranges in `sack`
    /// add up to it, the report is complete: anything not listed is not held.
    public var held: UInt64?
    /// The lowest sequence number the sender may still send; everything below it was acknowledged.
    public var base: UInt64
    /// Marks the end-of-input segment (DATA and RESEND only, empty body): the sender will say nothing more.
    /// It takes a sequence number like any message, so it is delivered and replayed by the same rules.
    public var fin: Bool
    /// The segment's sequence number (DATA and RESEND only; the first segment is 1).
    public var sequence: UInt64?
    /// How many segments the datagram carries (one, or `lengths.count` when batched).
    public var segmentCount: Int { lengths.isEmpty ? (kind.carriesSegment ? 1 : 0) : lengths.count }
    /// The segment's place in a split message (DATA and RESEND, only when the message was split).
    public var fragment: Fragment?
    /// Which transmission of the segment this is (RESEND only; 2 for the first replay).
    public var transmission: Int?
    /// The pinger's clock in microseconds (PING only), echoed back in `echo`.
    public var timestamp: UInt64?
    /// The `timestamp` of the PING this PONG answers.
    public var echo: UInt64?
    /// When several one-piece messages travel together (`lens=`), the byte length of each, in order; they have
    /// the consecutive sequence numbers `sequence`, `sequence + 1`, … and their bodies are concatenated in
    /// `body`. Empty for a datagram carrying one segment.
    public var lengths: [Int]
    /// The segment's bytes: UTF-8 text, or a piece of it when `fragment` is set, or several messages back to
    /// back when `lengths` is set.
    public var body: [UInt8]

    /// Creates a datagram; the codec checks the combination of fields when it encodes or decodes.
    public init(
        kind: DatagramKind, from: String, session: SessionID, to: SessionID? = nil, ack: UInt64,
        sack: [SequenceRange] = [],
        held: UInt64? = nil, base: UInt64, fin: Bool = false, sequence: UInt64? = nil, fragment: Fragment? = nil,
        transmission: Int? = nil, timestamp: UInt64? = nil, echo: UInt64? = nil, lengths: [Int] = [],
        body: [UInt8] = []
    ) {
        self.kind = kind
        self.from = from
        self.session = session
        self.to = to
        self.ack = ack
        self.sack = sack
        self.held = held
        self.base = base
        self.fin = fin
        self.sequence = sequence
        self.fragment = fragment
        self.transmission = transmission
        self.timestamp = timestamp
        self.echo = echo
        self.lengths = lengths
        self.body = body
    }
}
