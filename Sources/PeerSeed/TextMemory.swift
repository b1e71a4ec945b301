import PeerSession

/// Which of the original's texts we show, and where: for the most recent `capacity` texts only.
///
/// A text is remembered by a fingerprint (Swift's per-process seeded hash, so a sender cannot aim for a
/// collision) and its position among the lines shown, not by its bytes, so the memory is bounded whatever the
/// lines' length: about 30 bytes a text. When full, the oldest text is forgotten; a replay of a forgotten text
/// would be shown again. The capacity is far beyond any classroom conversation: the original replays its whole
/// log on every mismatch, so a log that long would already cost it a burst of that many datagrams.
struct TextMemory: Sendable {
    let capacity: Int
    private var positions: [Int: UInt64] = [:]
    private var order = FIFO<Int>()

    init(capacity: Int) {
        self.capacity = max(1, capacity)
    }

    /// The fingerprint a text is remembered by.
    static func fingerprint(_ text: String) -> Int { text.hashValue }

    /// How many texts are remembered.
    var count: Int { positions.count }

    /// The position (1-based, among the lines shown) of the text with this fingerprint, if remembered.
    func position(of fingerprint: Int) -> UInt64? { positions[fingerprint] }

    /// Remembers a text just shown at `position`, forgetting the oldest when full.
    mutating func remember(_ fingerprint: Int, at position: UInt64) {
        guard positions.updateValue(position, forKey: fingerprint) == nil else { return }
        order.push(fingerprint)
        while positions.count > capacity, let oldest = order.pop() { positions[oldest] = nil }
    }
}
