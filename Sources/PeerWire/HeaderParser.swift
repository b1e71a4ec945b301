/// Reads one header line (without its newline) into a `Datagram`, field by field, rejecting anything that is
/// not exactly what the format allows. Works on borrowed bytes; copies only the body and the name.
struct HeaderParser {
    private let bytes: UnsafeRawBufferPointer
    private var position = 0

    init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// The next space-separated word, or nil at the end of the line.
    private mutating func nextWord() -> UnsafeRawBufferPointer.SubSequence? {
        guard position < bytes.count else { return nil }
        let start = position
        while position < bytes.count, bytes[position] != 0x20 { position += 1 }
        let word = bytes[start..<position]
        if position < bytes.count { position += 1 }  // the separating space
        return word
    }

    mutating func parse(body: UnsafeRawBufferPointer) throws(WireError) -> Datagram {
        guard let versionWord = nextWord(), versionWord.starts(with: "PEER/".utf8) else { throw .notPeerProtocol }
        guard versionWord.elementsEqual(Wire.version.utf8) else {
            throw .unsupportedVersion(String(decoding: versionWord.prefix(16), as: UTF8.self))
        }
        guard let kindWord = nextWord() else { throw .missingField("kind") }
        let kindText = String(decoding: kindWord.prefix(16), as: UTF8.self)
        guard let kind = DatagramKind(rawValue: kindText), kind != .handshake else { throw .unknownKind(kindText) }

        var fields = DatagramFields(kind: kind)

        while let word = nextWord() {
            guard let equals = word.firstIndex(of: UInt8(ascii: "=")), equals > word.startIndex else {
                throw .malformedField(Self.printable(word))
            }
            let key = String(decoding: word[word.startIndex..<equals], as: UTF8.self)
            let value = word[(equals + 1)...]
            switch key {
            case "from":
                guard fields.from == nil else { throw .duplicateField(key) }
                guard let name = String(validating: value, as: UTF8.self), Wire.isValidName(name) else {
                    throw .malformedField(key)
                }
                fields.from = name
            case "sid":
                guard fields.session == nil else { throw .duplicateField(key) }
                fields.session = SessionID(rawValue: try Self.hex(value, key: key))
            case "to":
                guard fields.to == nil else { throw .duplicateField(key) }
                fields.to = SessionID(rawValue: try Self.hex(value, key: key))
            case "ack": try Self.store(Self.decimal(value, key: key), in: &fields.ack, key: key)
            case "base": try Self.store(Self.decimal(value, key: key), in: &fields.base, key: key)
            case "held": try Self.store(Self.decimal(value, key: key), in: &fields.held, key: key)
            case "fin": try Self.store(Self.decimal(value, key: key), in: &fields.fin, key: key)
            case "seq": try Self.store(Self.decimal(value, key: key), in: &fields.sequence, key: key)
            case "ts": try Self.store(Self.decimal(value, key: key), in: &fields.timestamp, key: key)
            case "echo": try Self.store(Self.decimal(value, key: key), in: &fields.echo, key: key)
            case "tx":
                guard fields.transmission == nil else { throw .duplicateField(key) }
                let count = try Self.decimal(value, key: key)
                guard count >= 2, count <= UInt64(Int32.max) else { throw .outOfRange(key) }
                fields.transmission = Int(count)
            case "frag":
                guard fields.fragment == nil else { throw .duplicateField(key) }
                guard let slash = value.firstIndex(of: UInt8(ascii: "/")) else { throw .malformedField(key) }
                let index = try Self.decimal(value[value.startIndex..<slash], key: key)
                let count = try Self.decimal(value[(slash + 1)...], key: key)
                guard index <= UInt64(Fragment.maxCount), count <= UInt64(Fragment.maxCount),
                      let parsed = Fragment(index: Int(index), count: Int(count))
                else { throw .outOfRange(key) }
                fields.fragment = parsed
            case "lens":
                guard fields.lengths == nil else { throw .duplicateField(key) }
                fields.lengths = try Self.lengths(value)
            case "sack":
                guard fields.sack == nil else { throw .duplicateField(key) }
                fields.sack = try Self.ranges(value)
            default:
                continue  // A field from a later minor revision: ignored by design (see docs/PROTOCOL.md).
            }
        }

        return try fields.validated(body: body)
    }

    private static func store(_ value: UInt64, in slot: inout UInt64?, key: String) throws(WireError) {
        guard slot == nil else { throw .duplicateField(key) }
        slot = value
    }

    /// A decimal number without sign or leading zeros beyond a lone `0`; at most 2^53 so it survives JSON logs.
    private static func decimal(_ digits: UnsafeRawBufferPointer.SubSequence, key: String) throws(WireError) -> UInt64 {
        guard !digits.isEmpty, digits.count <= 20 else {
            throw digits.isEmpty ? .malformedField(key) : .outOfRange(key)
        }
        var value: UInt64 = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { throw .malformedField(key) }
            let (times, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times.addingReportingOverflow(UInt64(byte - UInt8(ascii: "0")))
            guard !overflow1, !overflow2 else { throw .outOfRange(key) }
            value = sum
        }
        if digits.count > 1, digits.first == UInt8(ascii: "0") { throw .malformedField(key) }
        guard value <= Self.largestNumber else { throw .outOfRange(key) }
        return value
    }

    /// 2^53: the largest integer every JSON reader holds exactly. No honest counter gets near it.
    static let largestNumber: UInt64 = DatagramFields.largestNumber

    private static func hex(_ digits: UnsafeRawBufferPointer.SubSequence, key: String) throws(WireError) -> UInt64 {
        guard digits.count == 16 else { throw .malformedField(key) }  // one spelling per identity
        var value: UInt64 = 0
        for byte in digits {
            let nibble: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): nibble = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): nibble = byte - UInt8(ascii: "a") + 10
            default: throw .malformedField(key)
            }
            value = value << 4 | UInt64(nibble)
        }
        return value
    }

    /// `lens=`: 2 to `Wire.maxBatch` byte lengths, each at most `Wire.maxSegmentBody`.
    private static func lengths(_ value: UnsafeRawBufferPointer.SubSequence) throws(WireError) -> [Int] {
        var lengths: [Int] = []
        for part in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard lengths.count < Wire.maxBatch else { throw .outOfRange("lens") }
            let length = try decimal(part, key: "lens")
            guard length <= UInt64(Wire.maxSegmentBody) else { throw .outOfRange("lens") }
            lengths.append(Int(length))
        }
        guard lengths.count >= 2 else { throw .malformedField("lens") }
        return lengths
    }

    private static func ranges(_ value: UnsafeRawBufferPointer.SubSequence) throws(WireError) -> [SequenceRange] {
        var ranges: [SequenceRange] = []
        for part in value.split(separator: UInt8(ascii: ","), omittingEmptySubsequences: false) {
            guard ranges.count < Wire.maxSackRanges else { throw .outOfRange("sack") }
            if let dash = part.firstIndex(of: UInt8(ascii: "-")) {
                let lower = try decimal(part[part.startIndex..<dash], key: "sack")
                let upper = try decimal(part[(dash + 1)...], key: "sack")
                guard lower >= 1, let range = SequenceRange(lower: lower, upper: upper) else {
                    throw .outOfRange("sack")
                }
                ranges.append(range)
            } else {
                let single = try decimal(part, key: "sack")
                guard single >= 1 else { throw .outOfRange("sack") }
                ranges.append(SequenceRange(single: single))
            }
        }
        return ranges
    }

    /// At most 24 bytes of a bad word, with anything unprintable shown as `?`, for a log line.
    private static func printable(_ word: UnsafeRawBufferPointer.SubSequence) -> String {
        String(decoding: word.prefix(24).map { $0 >= 0x20 && $0 < 0x7F ? $0 : UInt8(ascii: "?") }, as: UTF8.self)
    }
}
