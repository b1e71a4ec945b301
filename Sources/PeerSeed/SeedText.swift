/// Makes our text safe for the original client before it leaves.
public enum SeedText {
    /// What stands in for `-`: U+2010 HYPHEN, which looks the same and which the original's `split('-')` does
    /// not see. (A `-` in the text would make the original's `int()` fail and kill its listener for good.)
    public static let hyphenReplacement: Unicode.Scalar = "\u{2010}"

    /// The text with every `-` replaced by `hyphenReplacement`, and how many were replaced.
    public static func protectingHyphens(_ text: String) -> (text: String, replaced: Int) {
        var replaced = 0
        var scalars = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            if scalar == "-" {
                replaced += 1
                scalars.append(hyphenReplacement)
            } else {
                scalars.append(scalar)
            }
        }
        return replaced == 0 ? (text, 0) : (String(scalars), replaced)
    }

    /// The text's UTF-8 cut into pieces of at most `limit` bytes, each itself valid UTF-8: cut between
    /// characters (grapheme clusters) where possible, so an emoji or an accented letter stays whole, and between
    /// Unicode scalars only inside a single character longer than `limit`. An empty text is one empty piece.
    public static func pieces(of text: String, limit: Int = SeedDatagram.maxTextBytes) -> [[UInt8]] {
        precondition(limit >= 4, "a piece must hold any one scalar")
        var pieces: [[UInt8]] = []
        var current: [UInt8] = []
        func take(_ bytes: [UInt8]) {
            if current.count + bytes.count > limit {
                pieces.append(current)
                current = []
            }
            current += bytes
        }
        for character in text {
            let bytes = Array(String(character).utf8)
            if bytes.count <= limit {
                take(bytes)
            } else {
                for scalar in character.unicodeScalars { take(Array(String(scalar).utf8)) }
            }
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }

    /// The start of a text, at most `limit` characters, in quotes, with `"` and `\` escaped so the quotes stay
    /// unambiguous; "…" marks a cut. Controls and bidirectional characters are left to the output, which makes
    /// every text from the network harmless in one place (`SafeText`, on every path to a terminal, file or log).
    public static func quotedPrefix(of bytes: [UInt8], limit: Int = 20) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        var quoted = "\""
        for scalar in text.prefix(max(0, limit)).unicodeScalars {
            quoted += scalar == "\"" || scalar == "\\" ? "\\" + String(scalar) : String(scalar)
        }
        return quoted + (text.count > limit ? "…\"" : "\"")
    }
}
