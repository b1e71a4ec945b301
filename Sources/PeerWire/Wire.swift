/// The peer wire format, version 1: a readable header line, a newline, then the body.
///
///     PEER/1 DATA from=alice sid=0197a1b2c3d40a1f seq=3 ack=2 base=3
///     hello, well-known -3
///
/// The header is ASCII words separated by single spaces: the version, the kind, then `key=value` fields. Keys
/// a decoder does not know are ignored, so version 1 can grow fields; anything that changes the meaning of a
/// known field needs `PEER/2`. The body is raw bytes and may contain anything, newlines and `-` included.
public enum Wire {
    /// The version word this build writes and the only one it reads.
    public static let version = "PEER/1"
    /// No datagram is larger than this; the sender splits longer messages so every datagram fits.
    public static let maxDatagramBytes = 1200
    /// Bytes of message text per segment. A header without `sack` runs is at most 186 bytes even with every
    /// number at its widest and a 32-byte name, so a full segment always fits; `sack` runs are added only as far
    /// as the rest of `maxDatagramBytes` allows.
    public static let maxSegmentBody = 1000
    /// How many `sack` ranges a datagram may carry. A bare ACK uses up to this many (as the datagram size
    /// allows), so a sender learns every hole in its window at once; segments carry at most `segmentSackRanges`.
    public static let maxSackRanges = 64
    /// How many `sack` ranges ride on a datagram that carries a segment.
    public static let segmentSackRanges = 4
    /// The most one-piece messages one datagram may carry (`lens=`).
    public static let maxBatch = 64
    /// Longest display name, in UTF-8 bytes.
    public static let maxNameBytes = 32

    /// Whether `name` can be sent as `from=`: 1 to 32 bytes of UTF-8 with no spaces (any Unicode white space), `=`,
    /// control characters (C0, DEL, C1), bidirectional marks or overrides, or other invisible characters (Unicode's
    /// default-ignorable code points: zero-width spaces and joiners, soft hyphens, fillers, tags, variation
    /// selectors) — it sits inside the header line and is printed on the other side's terminal, where any of those
    /// could forge or garble what is shown: `alice` + NO-BREAK SPACE + `(private)` would show a line as alice's
    /// private one, `alice` + ZERO WIDTH SPACE would be a second name that looks like alice. An emoji sequence
    /// keeps its joiner and variation selector (`👩‍💻`, `❤️`): they are allowed right after an emoji, a joiner
    /// only when another emoji follows it.
    public static func isValidName(_ name: String) -> Bool {
        let count = name.utf8.count
        guard count > 0, count <= maxNameBytes else { return false }
        // Every datagram's header carries one: printable ASCII needs no Unicode properties and no copy.
        if name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != 0x3D }) { return true }
        let scalars = Array(name.unicodeScalars)
        for (position, scalar) in scalars.enumerated() {
            if isAllowedInName(scalar) { continue }
            // The joiner (U+200D) and the emoji variation selector (U+FE0F) inside an emoji sequence.
            let previous = position > 0 ? scalars[position - 1] : nil
            let next = position + 1 < scalars.count ? scalars[position + 1] : nil
            switch scalar.value {
            case 0xFE0F where previous.map(isEmoji) == true: continue
            case 0x200D where previous.map { isEmoji($0) || $0.value == 0xFE0F } == true && next.map(isEmoji) == true:
                continue
            default: return false
            }
        }
        return true
    }

    private static func isAllowedInName(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0...0x20, 0x7F...0x9F, 0x3D: false  // controls, space, DEL, C1, '='
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: false  // bidirectional marks and overrides
        default: !scalar.properties.isWhitespace && !scalar.properties.isDefaultIgnorableCodePoint
        }
    }

    /// An emoji outside ASCII (ASCII digits, `#` and `*` are emoji too, but a joiner after them is invisible).
    private static func isEmoji(_ scalar: Unicode.Scalar) -> Bool { scalar.value > 0x7F && scalar.properties.isEmoji }

    // MARK: Encoding

    /// Appends the datagram's bytes to `buffer`.
    ///
    /// The encoder trusts its caller (the protocol core) to pass a consistent datagram; `decode` is the side that
    /// checks. `decode(encode(d)) == d` for every datagram the core produces.
    public static func encode(_ datagram: Datagram, into buffer: inout [UInt8]) {
        buffer.append(contentsOf: version.utf8)
        buffer.append(0x20)
        buffer.append(contentsOf: datagram.kind.rawValue.utf8)
        buffer.appendField("from")
        buffer.append(contentsOf: datagram.from.utf8)
        buffer.appendField("sid")
        buffer.appendHex16(datagram.session.rawValue)
        if let to = datagram.to {
            buffer.appendField("to")
            buffer.appendHex16(to.rawValue)
        }
        if let sequence = datagram.sequence {
            buffer.appendField("seq")
            buffer.appendDecimal(sequence)
        }
        if let fragment = datagram.fragment {
            buffer.appendField("frag")
            buffer.appendDecimal(UInt64(fragment.index))
            buffer.append(UInt8(ascii: "/"))
            buffer.appendDecimal(UInt64(fragment.count))
        }
        if datagram.lengths.count > 1 {
            buffer.appendField("lens")
            for (position, length) in datagram.lengths.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.appendDecimal(UInt64(max(0, length)))
            }
        }
        if let transmission = datagram.transmission {
            buffer.appendField("tx")
            buffer.appendDecimal(UInt64(max(0, transmission)))
        }
        buffer.appendField("ack")
        buffer.appendDecimal(datagram.ack)
        if !datagram.sack.isEmpty {
            buffer.appendField("sack")
            for (position, range) in datagram.sack.enumerated() {
                if position > 0 { buffer.append(UInt8(ascii: ",")) }
                buffer.appendDecimal(range.lower)
                if range.upper != range.lower {
                    buffer.append(UInt8(ascii: "-"))
                    buffer.appendDecimal(range.upper)
                }
            }
        }
        if let held = datagram.held {
            buffer.appendField("held")
            buffer.appendDecimal(held)
        }
        buffer.appendField("base")
        buffer.appendDecimal(datagram.base)
        if datagram.fin {
            buffer.appendField("fin")
            buffer.append(UInt8(ascii: "1"))
        }
        if let timestamp = datagram.timestamp {
            buffer.appendField("ts")
            buffer.appendDecimal(timestamp)
        }
        if let echo = datagram.echo {
            buffer.appendField("echo")
            buffer.appendDecimal(echo)
        }
        buffer.append(0x0A)
        buffer.append(contentsOf: datagram.body)
    }

    /// The datagram's bytes.
    public static func encode(_ datagram: Datagram) -> [UInt8] {
        var buffer: [UInt8] = []
        buffer.reserveCapacity(96 + datagram.body.count)
        encode(datagram, into: &buffer)
        return buffer
    }

    // MARK: Decoding

    /// Decodes a datagram, checking everything: a malformed, truncated, oversized or inconsistent datagram gives
    /// a `WireError` naming the fault, never a crash.
    public static func decode(_ bytes: [UInt8]) throws(WireError) -> Datagram {
        let result = bytes.withUnsafeBytes { raw in Result { () throws(WireError) in try decode(raw) } }
        return try result.get()
    }

    /// Decodes a datagram straight from a receive buffer; see `decode(_:)`.
    public static func decode(_ bytes: UnsafeRawBufferPointer) throws(WireError) -> Datagram {
        guard !bytes.isEmpty else { throw .empty }
        guard bytes.count <= maxDatagramBytes else { throw .tooLarge(bytes: bytes.count) }
        guard let newline = bytes.firstIndex(of: 0x0A) else {
            throw bytes.starts(with: "PEER/".utf8) ? .unterminatedHeader : .notPeerProtocol
        }
        var parser = HeaderParser(bytes: UnsafeRawBufferPointer(rebasing: bytes[..<newline]))
        let datagram = try parser.parse(body: UnsafeRawBufferPointer(rebasing: bytes[(newline + 1)...]))
        return datagram
    }
}

extension [UInt8] {
    mutating func appendField(_ key: StaticString) {
        append(0x20)
        key.withUTF8Buffer { append(contentsOf: $0) }
        append(UInt8(ascii: "="))
    }

    mutating func appendDecimal(_ value: UInt64) {
        var divisor: UInt64 = 1
        while value / divisor >= 10 { divisor &*= 10 }
        while divisor > 0 {
            append(UInt8(ascii: "0") &+ UInt8((value / divisor) % 10))
            divisor /= 10
        }
    }

    mutating func appendHex16(_ value: UInt64) {
        for shift in stride(from: 60, through: 0, by: -4) {
            let nibble = UInt8((value >> UInt64(shift)) & 0xF)
            append(nibble < 10 ? UInt8(ascii: "0") &+ nibble : UInt8(ascii: "a") &+ nibble &- 10)
        }
    }
}
