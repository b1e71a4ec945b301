import PeerWire

/// A segment that arrived ahead of a gap.
struct HeldSegment: Sendable {
    var body: [UInt8]
    var fragment: Fragment?
    var isEnd: Bool
}

/// The segments held beyond the next expected one, at most the receive window's worth, with the runs they form
/// kept sorted so every outgoing datagram can report them cheaply.
///
/// Held by sequence number in a table that grows with what is held, not in a ring sized to the window: a ring of
/// 4096 empty slots costs about 130 KB per session before anything arrives out of order, and a group member holds
/// a session with every other member.
struct ReceiveWindow: Sendable {
    private var slots: [UInt64: HeldSegment] = [:]
    /// Sorted, disjoint, non-adjacent runs of held sequence numbers.
    private(set) var ranges: [SequenceRange] = []
    private(set) var count = 0
    let capacity: UInt64

    init(capacity: UInt64) {
        self.capacity = capacity
    }

    func contains(_ sequence: UInt64) -> Bool { ranges.contains { $0.contains(sequence) } }

    /// Stores a segment; the caller guarantees it lies within the window and is not held yet.
    mutating func insert(_ sequence: UInt64, _ segment: HeldSegment) {
        slots[sequence] = segment
        count += 1
        var position = ranges.firstIndex { $0.lower > sequence } ?? ranges.endIndex
        if position > 0, ranges[position - 1].upper + 1 == sequence {
            ranges[position - 1].upper = sequence
            position -= 1
        } else {
            ranges.insert(SequenceRange(single: sequence), at: position)
        }
        if position + 1 < ranges.count, ranges[position].upper + 1 == ranges[position + 1].lower {
            ranges[position].upper = ranges[position + 1].upper
            ranges.remove(at: position + 1)
        }
    }

    /// Takes the segment at `sequence` if it is the start of the first held run.
    mutating func takeFirst(ifAt sequence: UInt64) -> HeldSegment? {
        guard let first = ranges.first, first.lower == sequence, let segment = slots.removeValue(forKey: sequence) else {
            return nil
        }
        count -= 1
        if first.upper == sequence { ranges.removeFirst() } else { ranges[0].lower = sequence + 1 }
        return segment
    }

    /// Forgets everything below `sequence` (the sender said it will never send it again).
    mutating func discard(below sequence: UInt64) {
        while let first = ranges.first, first.lower < sequence {
            for held in first.lower...min(first.upper, sequence - 1) {
                slots[held] = nil
                count -= 1
            }
            if first.upper < sequence { ranges.removeFirst() } else { ranges[0].lower = sequence }
        }
    }

    mutating func removeAll() {
        slots.removeAll()
        ranges.removeAll()
        count = 0
    }
}
