import PeerChannel
import PeerWire

/// Target `payload`: `HandshakePayload(parsing:)` on arbitrary bytes (what a handshake message carries once it
/// authenticated). Whatever parses must have a name `--name` would accept and write back as exactly the input
/// (one spelling per payload); and a payload built from the input's run and name, when the name is valid, must
/// parse back to itself.
enum HandshakePayloadTarget {
    static func run(_ data: UnsafeRawBufferPointer) {
        let bytes = Array(data)
        if let payload = try? HandshakePayload(parsing: bytes) {
            if !Wire.isValidName(payload.name) { violated("HandshakePayload: parsed an invalid name \(payload.name)") }
            if payload.bytes != bytes { violated("HandshakePayload: \(bytes) parses, but writes as \(payload.bytes)") }
        }
        // The other way round: the first 4 bytes as the index, the next 8 as the run, the rest as a name.
        guard bytes.count > 12, let name = String(validating: bytes[12...], as: UTF8.self), Wire.isValidName(name)
        else { return }
        let index = bytes[0..<4].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let run = bytes[4..<12].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let built = HandshakePayload(index: index, run: SessionID(rawValue: run), name: name)
        guard built.bytes.count <= HandshakePayload.maxBytes else {
            violated("HandshakePayload: \(built.bytes.count) bytes, over maxBytes \(HandshakePayload.maxBytes)")
        }
        let parsed = try? HandshakePayload(parsing: built.bytes)
        if parsed != built { violated("HandshakePayload: parse(bytes(p)) != p for \(built)") }
    }
}
