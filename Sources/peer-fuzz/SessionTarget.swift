import PeerSession
import PeerWire

/// Target `session`: one PEER/1 `Session` fed a sequence of datagrams, each prefixed by a 2-byte little-endian
/// length, a millisecond apart, its outputs drained after each; it must never deliver out of order (within one
/// run of the peer).
enum SessionTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        var session = Session(
            configuration: SessionConfiguration(name: "alice", sessionID: SessionID(rawValue: 0xA_0000)), now: .zero)
        try? session.submit("hello", now: .zero)
        var offset = 0
        var now = Instant.zero
        var order = DeliveryOrderCheck()
        while offset + 2 <= data.count {
            let length = Int(data[offset]) | Int(data[offset + 1]) << 8
            offset += 2
            let end = min(data.count, offset + length)
            now = now + .milliseconds(1)
            session.receive(UnsafeRawBufferPointer(rebasing: data[offset..<end]), now: now)
            offset = end
            if let deadline = session.nextTimeout(), deadline <= now + .milliseconds(1) {
                session.handleTimeout(now: now)
            }
            CoreDriver.drain(&session, now: now, into: &order)
        }
    }
}

/// Drains the session as every driver does, and stops the fuzzer at a delivery out of order.
struct DeliveryOrderCheck: CoreSink {
    var lastDelivered: UInt64 = 0

    mutating func log(_ event: Event) {
        // A new run of the peer starts its own sequence numbers.
        if case .peerUp(_, _, .restarted) = event { lastDelivered = 0 }
    }

    mutating func show(_ delivery: Delivery) {
        if delivery.sequence <= lastDelivered { violated("delivered \(delivery.sequence) after \(lastDelivered)") }
        lastDelivered = delivery.sequence
    }

    func send(_ transmit: Transmit) {}
}
