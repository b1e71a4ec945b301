import PeerWire

/// A segment this side has created and must keep until the other side has the whole message it belongs to.
struct OutgoingSegment: Sendable {
    var body: [UInt8]
    var fragment: Fragment?
    /// The end-of-input segment: empty, flagged `fin=1` on the wire.
    var isEnd = false
    /// The sequence number of the last segment of the same message: the segment leaves the buffer only once the
    /// other side's count reaches it, so a restarted peer can be sent whole messages again.
    var messageLast: UInt64
    var transmissions = 0
    var lastSent = Instant.zero
    /// Position of the latest transmission among all transmissions: orders "sent before" without clock ties.
    var sendOrder: UInt64 = 0
    /// Acknowledged by the count or reported held by `sack`.
    var delivered = false
    var queuedForResend = false
    /// Why it was queued for a replay, for the `resend` event.
    var lossReason: LossReason?

    /// A one-piece message, which may share a datagram with others (`lens=`).
    var isPackable: Bool { fragment == nil && !isEnd }
}

/// The segments still held for the other side, indexed by sequence number, oldest first.
struct SendBuffer: Sendable {
    private var storage: [OutgoingSegment] = []
    private var head = 0
    /// The sequence number of the oldest segment held (or of the next one to be created, when empty).
    private(set) var firstSequence: UInt64 = 1

    /// The sequence number the next created segment gets.
    var nextSequence: UInt64 { firstSequence + UInt64(storage.count - head) }

    var isEmpty: Bool { head == storage.count }

    func contains(_ sequence: UInt64) -> Bool { sequence >= firstSequence && sequence < nextSequence }

    /// The segment with `sequence`; callers check `contains` first.
    subscript(sequence: UInt64) -> OutgoingSegment {
        get { storage[head + Int(sequence - firstSequence)] }
        _modify { yield &storage[head + Int(sequence - firstSequence)] }
    }

    mutating func append(_ segment: OutgoingSegment) { storage.append(segment) }

    /// Drops every whole message the other side has counted (`count` segments in order).
    mutating func removeMessages(countedThrough count: UInt64) {
        var removed = 0
        while head + removed < storage.count, storage[head + removed].messageLast <= count { removed += 1 }
        guard removed > 0 else { return }
        head += removed
        firstSequence += UInt64(removed)
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 256, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
    }
}
