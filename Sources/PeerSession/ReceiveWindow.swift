import PeerWire

/// A segment that arrived ahead of a gap.
struct HeldSegment: Sendable {
    var body: [UInt8]
    var fragment: Fragment?
    var isEnd: Bool
}

/// The segments held beyond the next expected one, in a ring sized to the receive window, with the runs they
/// form kept sorted so every outgoing datagram can report them cheaply.
struct ReceiveWindow: Sendable {
    private var slots: [HeldSegment?]
    /// Sorted, disjoint, non-adjacent runs of held sequence numbers.
    private(set) var ranges: [SequenceRange] = []
    private(set) var count = 0

    init(capacity: UInt64) {
        slots = Array(repeating: nil, count: Int(capacity))
    }

    var capacity: UInt64 { UInt64(slots.count) }

    private func slot(_ sequence: UInt64) -> Int { Int(sequence % UInt64(slots.count)) }

    func contains(_ sequence: UInt64) -> Bool { ranges.contains { $0.contains(sequence) } }

    /// Stores a segment; the caller guarantees it lies within the window and is not held yet.
    mutating func insert(_ sequence: UInt64, _ segment: HeldSegment) {
        slots[slot(sequence)] = segment
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
        guard let first = ranges.first, first.lower == sequence, let segment = slots[slot(sequence)] else {
            return nil
        }
        slots[slot(sequence)] = nil
        count -= 1
        if first.upper == sequence { ranges.removeFirst() } else { ranges[0].lower = sequence + 1 }
        return segment
    }

    /// Forgets everything below `sequence` (the sender said it will never send it again).
    mutating func discard(below sequence: UInt64) {
        while let first = ranges.first, first.lower < sequence {
            for held in first.lower...min(first.upper, sequence - 1) {
                slots[slot(held)] = nil
                count -= 1
            }
            if first.upper < sequence { ranges.removeFirst() } else { ranges[0].lower = sequence }
        }
    }

    mutating func removeAll() {
        for index in slots.indices { slots[index] = nil }
        ranges.removeAll()
        count = 0
    }
}
