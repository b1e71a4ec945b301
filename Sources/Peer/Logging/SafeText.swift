/// Text from the network made harmless for output: the one place that decides which characters may not reach a
/// terminal, a pipe, a file or a log as they are, and how each is shown instead.
///
/// A message body is anything the other side chose to send. Written raw, an `ESC ] 0;title BEL` retitles the
/// window, `ESC [2J` clears the screen, a cursor move or a carriage return forges a line, and U+202E reverses
/// what follows it on screen. So every control character and every bidirectional control is written as a
/// visible escape instead. docs/LOGS.md ("Text from the network") lists every rendering.
public enum SafeText {
    /// Whether `scalar` may not be written as it is: a C0 control (including TAB, LF and CR), DEL, a C1 control
    /// (U+0080–U+009F), the line and paragraph separators U+2028 and U+2029 (line ends to Unicode, so an editor or
    /// viewer that honours them would show a forged line), or a bidirectional control — the embeddings and
    /// overrides U+202A–U+202E, the isolates U+2066–U+2069, and the invisible marks U+200E, U+200F and U+061C,
    /// which reorder the characters around them just as silently. Names on the wire refuse all of these, and every
    /// other space and invisible character too.
    public static func isHarmful(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Whether `text` holds any scalar `isHarmful` refuses. Reads the UTF-8 bytes once without decoding, in
    /// place when the string is stored contiguously (three times faster than through the view's iterator), since
    /// it runs on every delivered message: ASCII costs two comparisons a byte.
    public static func needsEscaping(_ text: String) -> Bool {
        if let found = text.utf8.withContiguousStorageIfAvailable({ containsHarmful($0) }) { return found }
        return containsHarmful(text.utf8)
    }

    @inline(__always)
    private static func containsHarmful<Bytes: Sequence<UInt8>>(_ bytes: Bytes) -> Bool {
        // The two bytes before the current one, to recognise the multi-byte encodings of the harmful scalars:
        // C1 is C2 80–C2 9F, U+061C is D8 9C, U+200E/F and U+2028–E are E2 80 xx, U+2066–9 are E2 81 A6–A9.
        var previous: UInt8 = 0
        var beforePrevious: UInt8 = 0
        for byte in bytes {
            if byte < 0x80 {
                if byte < 0x20 || byte == 0x7F { return true }
            } else if byte < 0xC0 {
                switch (beforePrevious, previous) {
                case (_, 0xC2) where byte <= 0x9F: return true
                case (_, 0xD8) where byte == 0x9C: return true
                case (0xE2, 0x80) where byte == 0x8E || byte == 0x8F || (0xA8...0xAE).contains(byte): return true
                case (0xE2, 0x81) where (0xA6...0xA9).contains(byte): return true
                default: break
                }
            }
            beforePrevious = previous
            previous = byte
        }
        return false
    }

    /// `text` as it may be shown to a person, on one line: LF, CR and TAB as `\n`, `\r`, `\t`; other C0 controls
    /// in caret notation `^@`…`^_` (ESC is `^[`); DEL as `^?`; C1 controls, line separators and bidirectional
    /// controls as `\u{9B}`, `\u{2028}`, `\u{202E}`. Everything else, including every printable script, emoji and joiner, is unchanged, and text
    /// that needs nothing is returned as it is, without a copy.
    public static func visible(_ text: String) -> String {
        guard needsEscaping(text) else { return text }
        var result = ""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard isHarmful(scalar) else {
                result.unicodeScalars.append(scalar)
                continue
            }
            switch scalar.value {
            case 0x0A: result += "\\n"
            case 0x0D: result += "\\r"
            case 0x09: result += "\\t"
            case 0x7F: result += "^?"
            case 0x00...0x1F:
                result += "^"
                result.unicodeScalars.append(Unicode.Scalar(UInt8(truncatingIfNeeded: scalar.value) | 0x40))
            default:
                result += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return result
    }

    /// `text` as a JSON string literal, quotes included: `"` and `\` escaped, LF, CR and TAB as `\n`, `\r`, `\t`,
    /// and every other scalar `isHarmful` refuses as `\u001b`, `\u009b`, `\u202e` (lowercase hex, four digits),
    /// so a JSON decoder gets the exact text back and the line itself carries no control.
    public static func jsonLiteral(_ text: String) -> String {
        if !needsEscaping(text), !text.utf8.contains(where: { $0 == 0x22 || $0 == 0x5C }) {
            return "\"" + text + "\""
        }
        var result = "\""
        result.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where isHarmful(scalar):
                let hex = String(scalar.value, radix: 16)
                result += "\\u" + String(repeating: "0", count: max(0, 4 - hex.count)) + hex
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
