/// The fields of a datagram as a decoder read them, before they are checked against each other.
///
/// Both wire encodings (PEER/1's readable header, PEER/2's compact one) fill this in and call `validated(body:)`,
/// so a datagram is held to the same rules however it arrived: which fields a kind requires and forbids, that
/// batched lengths add up to the body, that every piece of text is UTF-8, that no number outgrows JSON.
struct DatagramFields {
    var kind: DatagramKind
    var from: String?
    var session: SessionID?
    var to: SessionID?
    var ack: UInt64?
    var sack: [SequenceRange]?
    var base: UInt64?
    var held: UInt64?
    var fin: UInt64?
    var sequence: UInt64?
    var fragment: Fragment?
    var transmission: Int?
    var timestamp: UInt64?
    var echo: UInt64?
    var lengths: [Int]?

    init(kind: DatagramKind) {
        self.kind = kind
    }

    /// 2^53: the largest integer every JSON reader holds exactly. No honest counter gets near it.
    static let largestNumber: UInt64 = 1 << 53

    /// The datagram, or the first rule it breaks.
    func validated(body: UnsafeRawBufferPointer) throws(WireError) -> Datagram {
        guard let from else { throw .missingField("from") }
        guard let session else { throw .missingField("sid") }
        guard let ack else { throw .missingField("ack") }
        guard let base else { throw .missingField("base") }
        if kind.carriesSegment {
            guard let sequence else { throw .missingField("seq") }
            guard sequence >= 1 else { throw .outOfRange("seq") }
            if kind == .resend, transmission == nil { throw .missingField("tx") }
            if kind == .data, transmission != nil { throw .unexpectedField("tx") }
            if let lengths {
                if fragment != nil { throw .unexpectedField("frag") }
                if fin != nil { throw .unexpectedField("fin") }
                guard lengths.reduce(0, +) == body.count else { throw .outOfRange("lens") }
                var start = body.startIndex
                for length in lengths {
                    let piece = body[start..<(start + length)]
                    if String(validating: piece, as: UTF8.self) == nil { throw .invalidUTF8 }
                    start += length
                }
                if sequence > Self.largestNumber - UInt64(lengths.count) { throw .outOfRange("seq") }
            } else if fragment == nil, String(validating: body, as: UTF8.self) == nil {
                throw .invalidUTF8
            }
            if let fin {
                guard fin == 1 else { throw .outOfRange("fin") }
                if fragment != nil { throw .unexpectedField("frag") }
                if !body.isEmpty { throw .unexpectedField("body") }
            }
        } else {
            if sequence != nil { throw .unexpectedField("seq") }
            if fragment != nil { throw .unexpectedField("frag") }
            if transmission != nil { throw .unexpectedField("tx") }
            if fin != nil { throw .unexpectedField("fin") }
            if lengths != nil { throw .unexpectedField("lens") }
            if !body.isEmpty { throw .unexpectedField("body") }
        }
        if kind == .ping, timestamp == nil { throw .missingField("ts") }
        if kind == .pong, echo == nil { throw .missingField("echo") }
        if kind != .ping, timestamp != nil { throw .unexpectedField("ts") }
        if kind != .pong, echo != nil { throw .unexpectedField("echo") }
        if base == 0 { throw .outOfRange("base") }
        if let held, held < (sack ?? []).reduce(0, { $0 + $1.count }) { throw .outOfRange("held") }

        return Datagram(
            kind: kind, from: from, session: session, to: to, ack: ack, sack: sack ?? [], held: held, base: base,
            fin: fin != nil, sequence: sequence, fragment: fragment, transmission: transmission, timestamp: timestamp,
            echo: echo, lengths: lengths ?? [], body: Array(body))
    }
}
