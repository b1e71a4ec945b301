import PeerCrypto
import PeerSession

/// Stateless proof that an initiator receives where it says it does (WireGuard's cookie): under load, an
/// initiation is answered with a cookie reply — 21 bytes, no state kept — sent to the address the initiation names,
/// and only an initiation that comes back carrying that cookie gets handshake work. An off-path forger never sees
/// the reply, so forged initiations cost nothing beyond it.
///
/// A cookie is BLAKE2s, keyed with a secret drawn for this run, over the time bucket (2 minutes), the address it
/// was sent to (`boundTo`: the host an initiation came from, with the port it names; empty for a channel, which has
/// one destination) and the initiation's type, index, port and ephemeral key. It is valid for the bucket it was
/// made in and the next.
public struct InitiationCookies: Sendable {
    private let secret: Secret
    /// How long a cookie's bucket lasts.
    static let rotation = TimeSpan.seconds(120)

    /// Cookies under a fresh secret.
    public init() {
        secret = Secret(RandomBytes.make(count: 32))
    }

    /// The cookie reply to `initiation` (its first `SealedFraming.initiationBytes` at least): type, the
    /// initiator's index, the cookie. Nil when `initiation` is too short to hold an index.
    public func reply(to initiation: [UInt8], boundTo address: String = "", now: Instant) -> [UInt8]? {
        guard initiation.count >= SealedFraming.initiationHeaderBytes + 32,
              let index = SealedFraming.uint32(initiation, at: 1) else { return nil }
        var reply: [UInt8] = [SealedFraming.Kind.cookieReply.rawValue]
        reply.appendBigEndian(index)
        reply += cookie(for: initiation, boundTo: address, bucket: Self.bucket(now))
        return reply
    }

    /// Whether `datagram` is an initiation carrying a cookie of ours for it (made for `address`, in this bucket or
    /// the one before), compared in constant time.
    public func isVouched(_ datagram: [UInt8], boundTo address: String = "", now: Instant) -> Bool {
        guard datagram.count == SealedFraming.initiationBytes + SealedFraming.cookieBytes else { return false }
        let carried = Array(datagram[SealedFraming.initiationBytes...])
        let bucket = Self.bucket(now)
        let current = ConstantTime.equal(carried, cookie(for: datagram, boundTo: address, bucket: bucket))
        let previous = bucket > 0
            && ConstantTime.equal(carried, cookie(for: datagram, boundTo: address, bucket: bucket - 1))
        return current || previous
    }

    static func bucket(_ now: Instant) -> UInt64 {
        UInt64(max(0, now.microseconds) / rotation.microseconds)
    }

    private func cookie(for initiation: [UInt8], boundTo address: String, bucket: UInt64) -> [UInt8] {
        var message: [UInt8] = []
        message.appendBigEndian(bucket)
        message.appendBigEndian(UInt32(truncatingIfNeeded: address.utf8.count))
        message += address.utf8
        message += initiation.prefix(SealedFraming.initiationHeaderBytes + 32)
        return Array(BLAKE2s.hash(message, key: secret.bytes).prefix(SealedFraming.cookieBytes))
    }
}
