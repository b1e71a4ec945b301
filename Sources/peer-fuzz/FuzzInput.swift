/// A fuzz input read front to back as the choices a target makes: each read takes the next bytes, and once the
/// input is used up every read gives zero (or nothing), so any input, however short, is a complete scenario.
struct FuzzInput {
    private let bytes: [UInt8]
    private var position = 0

    init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// Whether every byte has been read.
    var isExhausted: Bool { position >= bytes.count }

    /// The next byte, or 0 past the end.
    mutating func byte() -> UInt8 {
        guard position < bytes.count else { return 0 }
        defer { position += 1 }
        return bytes[position]
    }

    /// The next two bytes, little-endian.
    mutating func uint16() -> Int { Int(byte()) | Int(byte()) << 8 }

    /// The next four bytes, big-endian (as the channel writes its indexes and packet numbers).
    mutating func uint32() -> UInt32 { (0..<4).reduce(UInt32(0)) { value, _ in value << 8 | UInt32(byte()) } }

    /// A number below `bound` (0 when `bound` is 0), from the next two bytes.
    mutating func below(_ bound: Int) -> Int { bound > 0 ? uint16() % bound : 0 }

    /// Up to `count` further bytes (fewer at the end).
    mutating func bytes(_ count: Int) -> [UInt8] {
        let end = min(bytes.count, position + max(0, count))
        defer { position = max(position, end) }
        return position < end ? Array(bytes[position..<end]) : []
    }

    /// A datagram from the input: a 2-byte length, then that many bytes (fewer at the end).
    mutating func lengthPrefixed() -> [UInt8] { bytes(uint16()) }

    /// Everything not read yet.
    mutating func rest() -> [UInt8] { bytes(bytes.count - position) }
}

/// Stops the fuzzer on a broken invariant, saying which. `fatalError` prints its message in every build mode
/// (a `precondition` message is dropped with -O), and libFuzzer keeps the input that got here.
func violated(_ message: @autoclosure () -> String, file: StaticString = #fileID, line: UInt = #line) -> Never {
    fatalError("peer-fuzz invariant broken: \(message())", file: file, line: line)
}
