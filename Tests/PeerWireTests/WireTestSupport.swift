import PeerWire

/// SplitMix64: a tiny seedable generator, so every fuzz failure can be replayed from its seed.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }

    /// `count` random bytes.
    mutating func bytes(_ count: Int) -> [UInt8] {
        (0..<count).map { _ in UInt8.random(in: 0...255, using: &self) }
    }
}

/// 2^53, the largest number the decoder accepts.
let largestWireNumber: UInt64 = 1 << 53

/// The bytes of `header`, a newline, then `body`.
func datagramBytes(_ header: String, body: [UInt8] = []) -> [UInt8] {
    Array(header.utf8) + [0x0A] + body
}

/// Decodes `bytes`, turning the typed error into a `Result` so it can be compared.
func decodeResult(_ bytes: [UInt8]) -> Result<Datagram, WireError> {
    Result { () throws(WireError) in try Wire.decode(bytes) }
}
