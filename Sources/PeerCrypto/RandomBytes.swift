/// Bytes from the operating system's cryptographically secure random source, for keys and nonces.
///
/// Draws on the standard library's `SystemRandomNumberGenerator`, which on Linux calls getrandom(2) with no flags
/// (it blocks only until the kernel's pool is first seeded, then never) and falls back to /dev/urandom on kernels
/// without it; on Apple platforms it calls arc4random_buf. It stops the process rather than return weak bytes if
/// the source fails, so there is no error to handle here.
public enum RandomBytes {
    /// `count` bytes from the operating system's cryptographically secure source (getrandom on Linux).
    /// - Precondition: `count` is not negative (the caller's own constant).
    public static func make(count: Int) -> [UInt8] {
        precondition(count >= 0, "a byte count is not negative")
        var generator = SystemRandomNumberGenerator()
        var bytes: [UInt8] = []
        bytes.reserveCapacity(count)
        while bytes.count < count {
            let word = generator.next()
            for shift in stride(from: 0, to: 64, by: 8) where bytes.count < count {
                bytes.append(UInt8(truncatingIfNeeded: word >> UInt64(shift)))
            }
        }
        return bytes
    }
}
