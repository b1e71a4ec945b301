/// PEER/2's compact header: the same fields as PEER/1's readable line, in binary, for the plaintext inside a sealed
/// datagram.
///
///     byte 0   kind in bits 0-2 (0 DATA, 1 RESEND, 2 ACK, 3 PING, 4 PONG, 5 BYE);
///              flags: bit 3 fin, bit 4 sack, bit 5 held, bit 6 frag, bit 7 lens
///     ack      varint
///     base     varint
///     seq      signed varint, seq − base            DATA and RESEND
///     tx       varint                              RESEND
///     frag     varint index, varint count          with the frag flag
///     lens     1 byte n (2…64), n varints          with the lens flag
///     sack     1 byte n (1…64), n × (signed varint lower − previous upper (ack for the first), varint upper − lower)
///     held     varint                              with the held flag
///     ts       varint                              PING
///     echo     varint                              PONG
///     body     the rest of the bytes
///
/// A varint is LEB128 (7 bits a byte, low first), in its shortest form, at most 2^53 like every number in PEER/1;
/// a signed varint is the same after zigzag (0, −1, 1, −2 … as 0, 1, 2, 3 …). Who sent it, its run and the run it is
/// for (`from`, `sid`, `to`) are not written: the keys that sealed the datagram say them, so `decode` takes them
/// from its caller. A chat segment's header is 4 to 6 bytes (sequence numbers under 16,384); a bare acknowledgement's, 3 to 6.
/// The decoder holds a datagram to exactly PEER/1's rules (`DatagramFields.validated`), so the two encodings
/// carry the same datagrams.
public enum CompactWire {
    /// Who sent the datagram, as the keys that opened it establish: the fields the compact header leaves out.
    public struct Context: Sendable, Equatable {
        /// The sender's display name.
        public var from: String
        /// The sender's run.
        public var session: SessionID
        /// The receiver's run, as the sender knows it.
        public var to: SessionID?

        /// Names the sender and the runs at both ends.
        public init(from: String, session: SessionID, to: SessionID?) {
            self.from = from
            self.session = session
            self.to = to
        }
    }

    static let kindCodes: [DatagramKind] = [.data, .resend, .ack, .ping, .pong, .bye]
    static let finFlag: UInt8 = 1 << 3
    static let sackFlag: UInt8 = 1 << 4
    static let heldFlag: UInt8 = 1 << 5
    static let fragmentFlag: UInt8 = 1 << 6
    static let lengthsFlag: UInt8 = 1 << 7

    // MARK: Encoding

    /// Appends the datagram's compact bytes to `buffer`; `from`, `session` and `to` are left out.
    ///
    /// Like `Wire.encode`, it trusts its caller (the protocol core) to pass a consistent datagram: for every datagram
    /// the core produces, `decode(encode(d), context: d's from, session, to) == d`.
    public static func encode(_ datagram: Datagram, into buffer: inout [UInt8]) {
        var first = UInt8(kindCodes.firstIndex(of: datagram.kind) ?? 0)
        if datagram.fin { first |= finFlag }
        if !datagram.sack.isEmpty { first |= sackFlag }
        if datagram.held != nil { first |= heldFlag }
        if datagram.fragment != nil { first |= fragmentFlag }
        if datagram.lengths.count > 1 { first |= lengthsFlag }
        buffer.append(first)
        buffer.appendVarint(datagram.ack)
        buffer.appendVarint(datagram.base)
        if let sequence = datagram.sequence {
            buffer.appendSignedVarint(from: datagram.base, to: sequence)
        }
        if let transmission = datagram.transmission {
            buffer.appendVarint(UInt64(max(0, transmission)))
        }
        if let fragment = datagram.fragment {
            buffer.appendVarint(UInt64(fragment.index))
            buffer.appendVarint(UInt64(fragment.count))
        }
        if datagram.lengths.count > 1 {
            buffer.append(UInt8(truncatingIfNeeded: datagram.lengths.count))
            for length in datagram.lengths { buffer.appendVarint(UInt64(max(0, length))) }
        }
        if !datagram.sack.isEmpty {
            buffer.append(UInt8(truncatingIfNeeded: datagram.sack.count))
            var previous = datagram.ack
            for range in datagram.sack {
                buffer.appendSignedVarint(from: previous, to: range.lower)
                buffer.appendVarint(range.upper - range.lower)
                previous = range.upper
            }
        }
        if let held = datagram.held { buffer.appendVarint(held) }
        if let timestamp = datagram.timestamp { buffer.appendVarint(timestamp) }
        if let echo = datagram.echo { buffer.appendVarint(echo) }
        buffer.append(contentsOf: datagram.body)
    }

    /// The datagram's compact bytes.
    public static func encode(_ datagram: Datagram) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(16 + datagram.body.count)
        encode(datagram, into: &buffer)
        return buffer
    }

    // MARK: Decoding

    /// Decodes compact bytes, checking everything as `Wire.decode` does: a malformed, truncated, oversized or
    /// inconsistent header gives a `WireError` naming the fault, never a crash.
    public static func decode(_ bytes: [UInt8], context: Context) throws(WireError) -> Datagram {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(WireError) in try decode(raw, context: context) }
        }
        return try result.get()
    }

    /// Decodes straight from a buffer; see `decode(_:context:)`.
    public static func decode(_ bytes: UnsafeRawBufferPointer, context: Context) throws(WireError) -> Datagram {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= Wire.maxDatagramBytes else { throw .tooLarge(bytes: bytes.count) }
        var reader = CompactReader(bytes: bytes)
        let first = try reader.byte("kind")
        let code = Int(first & 0x07)
        guard code < kindCodes.count else { throw .unknownKind("\(code)") }
        let kind = kindCodes[code]

        var fields = DatagramFields(kind: kind)
        fields.from = context.from
        fields.session = context.session
        fields.to = context.to
        let ack = try reader.varint("ack")
        let base = try reader.varint("base")
        fields.ack = ack
        fields.base = base
        if first & finFlag != 0 { fields.fin = 1 }
        if kind.carriesSegment {
            fields.sequence = try reader.signedVarint(from: base, "seq")
        }
        if kind == .resend {
            let count = try reader.varint("tx")
            guard count >= 2, count <= UInt64(Int32.max) else { throw .outOfRange("tx") }
            fields.transmission = Int(count)
        }
        if first & fragmentFlag != 0 {
            let index = try reader.varint("frag")
            let count = try reader.varint("frag")
            guard index <= UInt64(Fragment.maxCount), count <= UInt64(Fragment.maxCount),
                  let fragment = Fragment(index: Int(index), count: Int(count))
            else { throw .outOfRange("frag") }
            fields.fragment = fragment
        }
        if first & lengthsFlag != 0 {
            let count = Int(try reader.byte("lens"))
            guard count >= 2, count <= Wire.maxBatch else { throw .outOfRange("lens") }
            var lengths: [Int] = []
            lengths.reserveCapacity(count)
            for _ in 0..<count {
                let length = try reader.varint("lens")
                guard length <= UInt64(Wire.maxSegmentBody) else { throw .outOfRange("lens") }
                lengths.append(Int(length))
            }
            fields.lengths = lengths
        }
        if first & sackFlag != 0 {
            let count = Int(try reader.byte("sack"))
            guard count >= 1, count <= Wire.maxSackRanges else { throw .outOfRange("sack") }
            var ranges: [SequenceRange] = []
            ranges.reserveCapacity(count)
            var previous = ack
            for _ in 0..<count {
                let lower = try reader.signedVarint(from: previous, "sack")
                let span = try reader.varint("sack")
                guard lower >= 1, span <= DatagramFields.largestNumber - lower,
                      let range = SequenceRange(lower: lower, upper: lower + span)
                else { throw .outOfRange("sack") }
                ranges.append(range)
                previous = range.upper
            }
            fields.sack = ranges
        }
        if first & heldFlag != 0 { fields.held = try reader.varint("held") }
        if kind == .ping { fields.timestamp = try reader.varint("ts") }
        if kind == .pong { fields.echo = try reader.varint("echo") }
        return try fields.validated(body: reader.rest)
    }
}

/// Reads the compact header's numbers from borrowed bytes, refusing anything truncated, overlong or out of range.
struct CompactReader {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// What follows the header: the body.
    var rest: UnsafeRawBufferPointer { UnsafeRawBufferPointer(rebasing: bytes[position...]) }

    mutating func byte(_ key: String) throws(WireError) -> UInt8 {
        guard position < bytes.count else { throw .missingField(key) }
        defer { position += 1 }
        return bytes[position]
    }

    /// An unsigned LEB128 number in its one shortest spelling, at most `limit` (2^53 unless a difference).
    mutating func varint(_ key: String, limit: UInt64 = DatagramFields.largestNumber) throws(WireError) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), through: 49, by: 7) {
            let next = try byte(key)
            value |= UInt64(next & 0x7F) << shift
            if next & 0x80 == 0 {
                // A last byte of zero after the first adds nothing: a second spelling of a shorter number.
                if next == 0, shift > 0 { throw .malformedField(key) }
                guard value <= limit else { throw .outOfRange(key) }
                return value
            }
        }
        throw .outOfRange(key)  // more than 8 bytes: beyond 2^56, far past any real number
    }

    /// `reference` plus a zigzag-encoded difference, refused unless the result lies in 0…2^53.
    mutating func signedVarint(from reference: UInt64, _ key: String) throws(WireError) -> UInt64 {
        // Two numbers of up to 2^53 differ by up to 2^53 either way: up to 2^54 once zigzagged.
        let zigzag = try varint(key, limit: DatagramFields.largestNumber << 1)
        let magnitude = (zigzag >> 1) &+ (zigzag & 1)
        if zigzag & 1 == 0 {
            guard magnitude <= DatagramFields.largestNumber - min(reference, DatagramFields.largestNumber) else {
                throw .outOfRange(key)
            }
            return reference + magnitude
        }
        guard magnitude <= reference else { throw .outOfRange(key) }
        return reference - magnitude
    }
}

extension [UInt8] {
    mutating func appendVarint(_ value: UInt64) {
        var rest = value
        while rest >= 0x80 {
            append(UInt8(truncatingIfNeeded: rest) | 0x80)
            rest >>= 7
        }
        append(UInt8(truncatingIfNeeded: rest))
    }

    /// `target − reference` as a zigzag varint: small differences either way take one byte.
    mutating func appendSignedVarint(from reference: UInt64, to target: UInt64) {
        if target >= reference {
            appendVarint((target - reference) << 1)
        } else {
            appendVarint(((reference - target) << 1) - 1)
        }
    }
}
