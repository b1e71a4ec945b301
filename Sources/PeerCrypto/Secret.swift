#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Key material that is overwritten with zeros when its last reference goes away.
///
/// Swift copies arrays freely, so this cannot promise that no copy of the bytes survives anywhere; it promises
/// that the buffer it owns is wiped, with a store the optimizer may not remove, before the memory is freed.
/// Long-lived keys (static, ephemeral and pre-shared keys, chaining and cipher keys) live in one, so they do not
/// linger in freed heap memory. The bytes never change after `init`, so sharing one between copies of a value
/// type (and between threads) is safe.
public final class Secret: @unchecked Sendable {
    /// The key material. Read it, do not keep copies longer than needed: only this buffer is wiped.
    public private(set) var bytes: [UInt8]

    /// Takes ownership of `bytes` (the caller's array shares the buffer until it goes out of scope).
    public init(_ bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// How many bytes the secret has.
    public var count: Int { bytes.count }

    deinit {
        Self.wipe(&bytes)
    }

    /// Overwrites `bytes` with zeros in place, with a store the compiler does not optimise away.
    public static func wipe(_ bytes: inout [UInt8]) {
        bytes.withUnsafeMutableBytes { buffer in
            guard let base = buffer.baseAddress, buffer.count > 0 else { return }
            #if canImport(Glibc)
            explicit_bzero(base, buffer.count)
            #elseif canImport(Darwin)
            _ = memset_s(base, buffer.count, 0, buffer.count)
            #else
            for index in buffer.indices { buffer[index] = 0 }
            #endif
        }
    }
}
