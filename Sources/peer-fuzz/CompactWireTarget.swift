import PeerWire

/// Target `compact`: PEER/2's compact header decoder (the plaintext inside a sealed datagram) on arbitrary bytes.
/// The first byte picks the context the keys would give (whether the datagram is addressed to our run); the rest
/// is the plaintext. Whatever decodes must encode to bytes that decode to the same datagram, and those bytes are
/// the input itself: the encoding is canonical (shortest varints, a flag only with its field), so one datagram
/// has one spelling.
enum CompactWireTarget {
    static let context = CompactWire.Context(from: "bob", session: SessionID(rawValue: 0xB_0000), to: nil)

    static func run(_ data: UnsafeRawBufferPointer) {
        guard let first = data.first else { return }
        var context = Self.context
        if first & 1 == 1 { context.to = SessionID(rawValue: 0xA_0000) }
        let plaintext = UnsafeRawBufferPointer(rebasing: data[1...])
        guard let datagram = try? CompactWire.decode(plaintext, context: context) else { return }
        let encoded = CompactWire.encode(datagram)
        let again = try? CompactWire.decode(encoded, context: context)
        if again != datagram { violated("CompactWire: decode(encode(d)) != d for \(datagram)") }
        if !encoded.elementsEqual(plaintext) {
            violated("CompactWire: \(Array(plaintext)) decodes, but re-encodes as \(encoded)")
        }
    }
}
