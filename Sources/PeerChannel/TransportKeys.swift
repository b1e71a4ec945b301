import PeerHandshake
import PeerWire

/// The keys one completed handshake gave, and what they may be used for: one per direction, the indexes each side
/// finds them by, and the run at each end they belong to.
struct TransportKeys: Sendable {
    /// Our index: datagrams for these keys name it.
    let localIndex: UInt32
    /// Their index: datagrams we seal with these keys name it.
    let remoteIndex: UInt32
    var sending: NoiseCipherState
    let receiving: NoiseCipherState
    /// The next packet number we send.
    var nextPacket: UInt64 = 0
    var replay = ReplayWindow()
    /// The other side's run, name and key, as the handshake authenticated them.
    let peerRun: SessionID
    let peerName: String
    let peerKey: [UInt8]
    /// Whether the other side is known to hold these keys too: it sent something sealed with them, or (as the
    /// responder) we read its final handshake message. Until then the other side may not have them.
    var confirmed: Bool
}
