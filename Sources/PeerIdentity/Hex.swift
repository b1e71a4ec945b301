import Glibc

/// Lower-case hexadecimal for keys in files, without a branch or a table index that depends on the bytes: the
/// same code writes and reads private keys, pre-shared keys and key logs, whose digits are secrets.
public enum Hex {
    /// Two lower-case digits per byte.
    public static func encode(_ bytes: [UInt8]) -> String {
        var digits: [UInt8] = []
        digits.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            digits.append(digit(byte >> 4))
            digits.append(digit(byte & 0x0F))
        }
        let text = String(decoding: digits, as: UTF8.self)
        wipe(&digits)
        return text
    }

    /// The bytes `text` spells, two digits each (either case); nil when its length is odd or any character is
    /// not a hexadecimal digit. Only that outcome, never which character was wrong, decides the branch.
    public static func decode(_ text: Substring) -> [UInt8]? {
        var characters = Array(text.utf8)
        defer { wipe(&characters) }
        guard characters.count % 2 == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: characters.count / 2)
        var valid: Int32 = -1
        for index in bytes.indices {
            let high = nibble(characters[2 * index])
            let low = nibble(characters[2 * index + 1])
            valid &= high.valid & low.valid
            bytes[index] = UInt8(truncatingIfNeeded: (high.value << 4) | low.value)
        }
        guard valid == -1 else {
            wipe(&bytes)
            return nil
        }
        return bytes
    }

    /// `decode` of a whole string.
    public static func decode(_ text: String) -> [UInt8]? { decode(Substring(text)) }

    /// Overwrites `bytes` with zeros in place, for secrets this code copied and is done with.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            memset(base, 0, raw.count)
        }
    }

    /// '0'…'9' for 0…9 and 'a'…'f' for 10…15: 39 more when `value` is above 9, chosen by the sign of 9 - value.
    private static func digit(_ value: UInt8) -> UInt8 {
        let number = Int32(value)
        return UInt8(truncatingIfNeeded: number &+ 48 &+ (((9 &- number) >> 31) & 39))
    }

    /// The value of one digit, and -1 in `valid` when it is one (0 otherwise); masks from the signs of range
    /// checks instead of comparisons that branch.
    private static func nibble(_ character: UInt8) -> (value: Int32, valid: Int32) {
        let code = Int32(character)
        let decimal = code &- 48
        let isDecimal = ((decimal | (9 &- decimal)) >> 31) ^ -1
        let letter = (code | 0x20) &- 97
        let isLetter = ((letter | (5 &- letter)) >> 31) ^ -1
        return ((decimal & isDecimal) | ((letter &+ 10) & isLetter), isDecimal | isLetter)
    }
}
