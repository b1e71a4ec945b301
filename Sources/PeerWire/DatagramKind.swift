/// What a datagram is for. The raw value is the word that names it on the wire.
public enum DatagramKind: String, CaseIterable, Sendable {
    /// The first transmission of a message segment.
    case data = "DATA"
    /// A replay of a segment the other side is missing, sent from a fresh socket.
    case resend = "RESEND"
    /// A bare acknowledgement: the sender's count and what it holds beyond it.
    case ack = "ACK"
    /// A heartbeat asking the other side to answer; carries a timestamp to be echoed.
    case ping = "PING"
    /// The answer to a ping; echoes its timestamp so the pinger measures the round trip.
    case pong = "PONG"
    /// "I have everything of yours and have said all I will say": the last word of a conversation.
    case bye = "BYE"
    /// Not a PEER/1 datagram: a PEER/2 handshake message or keepalive, named so the runtime can log one it drops.
    /// No decoder accepts it as a kind.
    case handshake = "HANDSHAKE"

    /// Whether datagrams of this kind carry a message segment (a sequence number and a body).
    public var carriesSegment: Bool { self == .data || self == .resend }
}
