import PeerSimulation
import PeerWire

/// The simulated network's seeded generator (SplitMix64), so every fuzz failure can be replayed from its seed.
typealias SplitMix64 = SeededGenerator

extension SeededGenerator {
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
