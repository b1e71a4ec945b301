import PeerWire

/// What each side tells the other inside the handshake, sealed: the protocol revision, the index it receives
/// with, its run and its name.
///
///     version(1) = 2 | index(4) | run(8) | name length(1) | name (UTF-8, as `--name` allows); numbers big-endian
///
/// The handshake authenticates it with the sender's static key: the index cannot be changed on the way (a
/// changed one would send everything sealed to keys nobody holds), and the keys it produces are used only for
/// that run: a datagram opened with them is that run's, so the run needs no other proof.
public struct HandshakePayload: Sendable, Equatable {
    /// The revision this build speaks.
    public static let version: UInt8 = 2
    /// The longest payload.
    public static let maxBytes = 1 + 4 + 8 + 1 + Wire.maxNameBytes

    /// The index the sender receives with: what datagrams sealed for it must name.
    public var index: UInt32
    /// The sender's run.
    public var run: SessionID
    /// The sender's display name.
    public var name: String

    /// A payload for `index`, `run` and `name`.
    public init(index: UInt32, run: SessionID, name: String) {
        self.index = index
        self.run = run
        self.name = name
    }

    /// Its bytes.
    public var bytes: [UInt8] {
        var bytes: [UInt8] = [Self.version]
        bytes.appendBigEndian(index)
        bytes.appendBigEndian(run.rawValue)
        bytes.append(UInt8(truncatingIfNeeded: name.utf8.count))
        bytes.append(contentsOf: name.utf8)
        return bytes
    }

    /// Reads a payload, or says what is wrong with it.
    public init(parsing bytes: [UInt8]) throws(ChannelError) {
        guard let version = bytes.first else { throw .malformedPayload("empty") }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard bytes.count >= 14 else { throw .malformedPayload("too short") }
        let index = bytes[1..<5].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let run = bytes[5..<13].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = Int(bytes[13])
        guard bytes.count == 14 + length,
              let name = String(validating: bytes[14...], as: UTF8.self), Wire.isValidName(name)
        else { throw .malformedPayload("bad name") }
        self.index = index
        self.run = SessionID(rawValue: run)
        self.name = name
    }
}
