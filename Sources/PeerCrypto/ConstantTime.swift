/// Comparisons whose running time tells an observer nothing about the bytes compared.
///
/// A comparison that stops at the first differing byte lets an attacker who can time it guess a tag one byte at a
/// time; these look at every byte whatever they find.
public enum ConstantTime {
    /// True when `a` and `b` have the same length and bytes; the time taken depends only on the lengths.
    public static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { aBytes in b.withUnsafeBytes { bBytes in equal(aBytes, bBytes) } }
    }

    /// `equal` on raw memory, for callers that already hold buffers (the AEAD checks a tag without copying it).
    static func equal(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        // Lengths are public (a tag's length is a constant), so leaving early on them gives nothing away.
        guard a.count == b.count else { return false }
        // OR every difference together and test once at the end: no branch depends on where bytes differ.
        var difference: UInt8 = 0
        for index in 0..<a.count {
            difference |= a[index] ^ b[index]
        }
        return difference == 0
    }
}
