import PeerSession
import PeerWire

extension Session {
    /// Makes `session` (named `name`) the other side, as the protocol does: it says hello naming us, we challenge
    /// it, it answers. Drains every output on the way, so the caller starts from a quiet session.
    mutating func believe(_ session: SessionID, name: String = "bob", base: UInt64 = 1, now: Instant) {
        let hello = Datagram(kind: .ping, from: name, session: session, to: identity, ack: 0,
                             base: base, timestamp: 1)
        receive(Wire.encode(hello), now: now)
        var challenge: UInt64?
        while let transmit = pollTransmit(now: now) {
            if let datagram = try? Wire.decode(transmit.bytes), datagram.kind == .ping, datagram.to == session {
                challenge = datagram.timestamp
            }
        }
        if let challenge {
            let answer = Datagram(kind: .pong, from: name, session: session, to: identity, ack: 0,
                                  base: base, echo: challenge)
            receive(Wire.encode(answer), now: now)
        }
        while pollTransmit(now: now) != nil {}
        while pollEvent() != nil {}
        while pollDelivery() != nil {}
    }
}
