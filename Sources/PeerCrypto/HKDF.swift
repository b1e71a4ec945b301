/// The HKDF of the Noise Protocol Framework (revision 34, §4.3) over HMAC-BLAKE2s.
///
/// Noise's HKDF is RFC 5869's with the chaining key as salt, empty info and 2 or 3 whole hash-length outputs:
/// `temp = HMAC(ck, ikm)`, `out1 = HMAC(temp, 0x01)`, `out_i = HMAC(temp, out_{i-1} || i)`.
public enum HKDF {
    /// Bytes in each output.
    public static let outputBytes = HMACBLAKE2s.macBytes

    /// `outputs` (2 or 3) keys of 32 bytes derived from `inputKeyMaterial` (0 or 32 bytes in Noise, any length
    /// works) under `chainingKey`.
    /// - Precondition: `outputs` is 2 or 3 (Noise never asks for another count).
    public static func derive(chainingKey: [UInt8], inputKeyMaterial: [UInt8], outputs: Int) -> [[UInt8]] {
        precondition(outputs == 2 || outputs == 3, "Noise's HKDF has 2 or 3 outputs")
        var tempKey = HMACBLAKE2s.authenticate(key: chainingKey, message: inputKeyMaterial)
        var results: [[UInt8]] = []
        results.reserveCapacity(outputs)
        var previous: [UInt8] = []
        for index in 1...outputs {
            var input = previous
            input.append(UInt8(index))
            previous = HMACBLAKE2s.authenticate(key: tempKey, message: input)
            Secret.wipe(&input)
            results.append(previous)
        }
        Secret.wipe(&tempKey)
        return results
    }
}
