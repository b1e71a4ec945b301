/// Which packet numbers of one direction have been accepted: the highest, and a bitmap of the 1,024 below it
/// (RFC 6479's sliding window, as WireGuard keeps one). A datagram whose number was seen, or is too old to tell, is
/// refused; a datagram delayed by less than 1,024 later ones is still taken.
struct ReplayWindow: Sendable {
    static let size: UInt64 = 1_024
    private static let words = Int(size / 64)

    private(set) var highest: UInt64?
    private var bits = [UInt64](repeating: 0, count: ReplayWindow.words)

    /// Whether `number` may be accepted; nothing changes (the datagram is not authenticated yet).
    func isFresh(_ number: UInt64) -> Bool {
        guard let highest else { return true }
        if number > highest { return true }
        let age = highest - number
        guard age < Self.size else { return false }
        let (word, bit) = Self.position(number)
        return bits[word] & (1 << bit) == 0
    }

    /// Records `number` as accepted; call only after the datagram authenticated.
    mutating func accept(_ number: UInt64) {
        if let highest, number <= highest {
            let (word, bit) = Self.position(number)
            bits[word] |= 1 << bit
            return
        }
        let previous = highest
        highest = number
        if let previous {
            // Clear the words the window slid past, so they start empty for the numbers they now stand for.
            let steps = min(number / 64 - previous / 64, UInt64(Self.words))
            var word = previous / 64
            for _ in 0..<steps {
                word &+= 1
                bits[Int(word % UInt64(Self.words))] = 0
            }
        } else {
            bits = [UInt64](repeating: 0, count: Self.words)
        }
        let (word, bit) = Self.position(number)
        bits[word] |= 1 << bit
    }

    /// The 64-bit counter whose low 32 bits are `truncated`, nearest to the one after the highest seen (RFC 9000,
    /// appendix A.3).
    func expand(_ truncated: UInt32) -> UInt64 {
        let expected = highest.map { $0 &+ 1 } ?? 0
        let span: UInt64 = 1 << 32
        let half = span / 2
        let candidate = (expected & ~(span - 1)) | UInt64(truncated)
        if candidate &+ half <= expected, candidate <= UInt64.max - span { return candidate + span }
        if candidate > expected &+ half, candidate >= span { return candidate - span }
        return candidate
    }

    private static func position(_ number: UInt64) -> (word: Int, bit: UInt64) {
        (Int((number / 64) % UInt64(words)), number % 64)
    }
}
