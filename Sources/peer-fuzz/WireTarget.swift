import PeerWire

/// Target `wire`: PEER/1's readable decoder on arbitrary bytes. Whatever decodes must encode back to a datagram
/// that decodes to the same value.
enum WireTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        guard let datagram = try? Wire.decode(data) else { return }
        let again = try? Wire.decode(Wire.encode(datagram))
        if again != datagram { violated("Wire: decode(encode(d)) != d for \(datagram)") }
    }
}
