import PeerWire

/// PEER/2 on the wire: what surrounds the Noise messages and the sealed datagrams. The first byte says what a
/// datagram is — never `P` (0x50), the first byte of every PEER/1 datagram, so the two cannot be confused:
///
///     1  initiation          index(4) | port(2) | Noise XX message 1 (e, payload: port(2), zeros to 64 bytes in all)
///     6  initiation + psk    index(4) | port(2) | Noise XXpsk0 message 1 (psk, e, sealed port(2) and zeros, to 64)
///     2  response            their index(4) | Noise message 2 (e, ee, s, es, sealed payload with our index)
///     3  finish              their index(4) | Noise message 3 (s, se, sealed payload with our index)
///     4  transport           their index(4) | packet number(4) | ChaCha20-Poly1305(compact datagram) + tag(16)
///     5  transport, to       as 4, for a datagram the sender addressed to another run of the receiver
///        another run
///     7  cookie reply        their index(4) | cookie(16): "under load: send your initiation again with this"
///
/// An initiation's `port` is the initiator's listen port: where the responder answers (at the address the
/// initiation came from). It is repeated inside the Noise payload, which the handshake hash covers, so a port
/// changed on the way is refused or leaves a handshake that cannot complete.
///
/// Under load a side answers initiations with a cookie reply instead of a response; an initiation carrying a
/// valid cookie (its 64 bytes, then the 16-byte cookie: 80 in all) is answered as usual. Cookie replies go to the
/// destination, like every datagram, so only the real peer there receives them (WireGuard's cookie, bound to the
/// one address we talk to).
///
/// Indexes are chosen at random by the side that receives with them (as WireGuard's), so a datagram finds its keys
/// without trying them all. The packet number is the low 32 bits of the 64-bit counter that is the AEAD nonce; the
/// receiver restores the rest from the highest it has seen (as QUIC does). The 9 header bytes of a transport
/// datagram are its associated data: changing any of them fails authentication.
public enum SealedFraming {
    /// The first byte of each kind of PEER/2 datagram.
    public enum Kind: UInt8, Sendable {
        case initiation = 1
        case response = 2
        case finish = 3
        case transport = 4
        case transportToAnotherRun = 5
        case initiationWithPreSharedKey = 6
        case cookieReply = 7
    }

    /// Bytes in a cookie, and in a cookie reply.
    public static let cookieBytes = 16
    public static let cookieReplyBytes = 5 + cookieBytes

    /// Every initiation is exactly this long, so that the response to it, at most `maxResponseBytes`, is within
    /// three times what its sender spent: answering a forged one can amplify no more than that.
    public static let initiationBytes = 64
    /// Where an initiation's Noise message begins: after its type, index and port.
    public static let initiationHeaderBytes = 7
    /// The longest response: type, their index, e (32), s sealed (48), the longest payload sealed.
    public static let maxResponseBytes = 5 + 32 + 48 + HandshakePayload.maxBytes + 16
    /// What a transport datagram adds around the compact datagram: type, index, packet number, tag.
    public static let transportOverhead = 9 + 16
    /// A transport datagram's header: type, the receiver's index, the packet number.
    public static let transportHeaderBytes = 9

    /// The 9-byte header of a transport datagram.
    public static func transportHeader(kind: Kind, receiverIndex: UInt32, packetNumber: UInt64) -> [UInt8] {
        var header: [UInt8] = [kind.rawValue]
        header.reserveCapacity(transportHeaderBytes)
        header.appendBigEndian(receiverIndex)
        header.appendBigEndian(UInt32(truncatingIfNeeded: packetNumber))
        return header
    }

    /// Reads a big-endian 16-bit number at `offset`, or nil past the end.
    static func uint16(_ bytes: [UInt8], at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= bytes.count - 2 else { return nil }
        return UInt16(bytes[offset]) << 8 | UInt16(bytes[offset + 1])
    }

    /// The listen port an initiation claims (from its clear header), or nil when `bytes` is not an initiation.
    public static func initiationPort(_ bytes: UnsafeRawBufferPointer) -> UInt16? {
        guard bytes.count == initiationBytes || bytes.count == initiationBytes + cookieBytes,
              bytes[0] == Kind.initiation.rawValue || bytes[0] == Kind.initiationWithPreSharedKey.rawValue
        else { return nil }
        return UInt16(bytes[5]) << 8 | UInt16(bytes[6])
    }

    /// Whether an initiation without a psk repeats its header's port at the start of its clear payload (one with a
    /// psk seals its payload: only the handshake can tell). False for anything that is not an initiation.
    public static func initiationPortsAgree(_ bytes: UnsafeRawBufferPointer) -> Bool {
        guard initiationPort(bytes) != nil else { return false }
        guard bytes[0] == Kind.initiation.rawValue else { return true }
        let payload = initiationHeaderBytes + 32
        return bytes[payload] == bytes[5] && bytes[payload + 1] == bytes[6]
    }

    /// The receiver's index a datagram names (bytes 1–4 of every kind but an initiation), or nil.
    public static func receiverIndex(_ bytes: UnsafeRawBufferPointer) -> UInt32? {
        guard bytes.count >= 5, let kind = Kind(rawValue: bytes[0]), kind != .initiation,
              kind != .initiationWithPreSharedKey
        else { return nil }
        return bytes[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
    }

    /// Reads a big-endian 32-bit number at `offset`, or nil past the end.
    static func uint32(_ bytes: [UInt8], at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= bytes.count - 4 else { return nil }
        return bytes[offset..<(offset + 4)].reduce(0) { $0 << 8 | UInt32($1) }
    }
}

extension [UInt8] {
    mutating func appendBigEndian(_ value: UInt32) {
        for shift in stride(from: 24, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt32(shift))) }
    }

    mutating func appendBigEndian(_ value: UInt64) {
        for shift in stride(from: 56, through: 0, by: -8) { append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
