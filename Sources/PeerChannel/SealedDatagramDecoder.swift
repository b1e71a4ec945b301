import PeerHandshake
import PeerSession
import PeerWire

/// Reads captured datagrams with the keys of a key log (`peer decode`): the kind and indexes of any PEER/2
/// datagram, and the contents of a sealed one whose keys the log holds, exactly as the receiver's session would take
/// them. Pure: no files, no output.
///
/// It never trusts what it reads: any bytes give a `DecodedDatagram`, with a `problem` when they are not a datagram
/// it can read to the end, and never a crash. Like a receiver it restores each direction's 64-bit packet numbers
/// from the highest it opened, so give it a capture's datagrams in the order they were captured.
public struct SealedDatagramDecoder {
    /// One direction of one handshake's keys: the index its datagrams name, the key, who sends and receives.
    private struct Direction {
        let index: UInt32
        let cipher: NoiseCipherState
        let keyBytes: [UInt8]
        let sender: String
        let senderRun: SessionID
        let receiver: String
        let receiverRun: SessionID
        var window = ReplayWindow()
    }

    private var directions: [Direction] = []
    private var byIndex: [UInt32: [Int]] = [:]
    private let entries: [KeyLogEntry]

    /// A decoder for the datagrams of the handshakes `entries` describe. Either side's entries open both
    /// directions; both sides' entries for the same handshake may be given together.
    public init(entries: [KeyLogEntry]) {
        self.entries = entries
        for entry in entries {
            add(index: entry.localIndex, key: entry.receivingKey.bytes, sender: entry.remoteName,
                senderRun: entry.remoteRun, receiver: entry.localName, receiverRun: entry.localRun)
            add(index: entry.remoteIndex, key: entry.sendingKey.bytes, sender: entry.localName,
                senderRun: entry.localRun, receiver: entry.remoteName, receiverRun: entry.remoteRun)
        }
    }

    private mutating func add(index: UInt32, key: [UInt8], sender: String, senderRun: SessionID, receiver: String,
                              receiverRun: SessionID) {
        guard let cipher = NoiseCipherState(key: key) else { return }
        let known = byIndex[index, default: []]
        // The other side's line for the same handshake gives the same direction again.
        guard !known.contains(where: { directions[$0].keyBytes == key }) else { return }
        byIndex[index] = known + [directions.count]
        directions.append(Direction(index: index, cipher: cipher, keyBytes: key, sender: sender, senderRun: senderRun,
                                    receiver: receiver, receiverRun: receiverRun))
    }

    /// What `bytes` are. Sealed datagrams it opens advance that direction's packet numbers.
    public mutating func decode(_ bytes: [UInt8]) -> DecodedDatagram {
        guard let first = bytes.first else {
            var decoded = DecodedDatagram(kind: .empty, byteCount: 0)
            decoded.problem = .notPeer
            return decoded
        }
        guard let kind = SealedFraming.Kind(rawValue: first) else {
            return first == UInt8(ascii: "P") ? readable(bytes) : unknown(first, count: bytes.count)
        }
        switch kind {
        case .initiation, .initiationWithPreSharedKey:
            var decoded = DecodedDatagram(kind: .initiation(preSharedKey: kind == .initiationWithPreSharedKey),
                                          byteCount: bytes.count)
            let withCookie = SealedFraming.initiationBytes + SealedFraming.cookieBytes
            guard bytes.count == SealedFraming.initiationBytes || bytes.count == withCookie,
                  let sender = SealedFraming.uint32(bytes, at: 1)
            else {
                decoded.problem = .badLength(
                    expected: "an initiation is \(SealedFraming.initiationBytes) bytes, \(withCookie) with a cookie")
                return decoded
            }
            decoded.senderIndex = sender
            decoded.listenPort = SealedFraming.uint16(bytes, at: 5)
            name(&decoded)
            return decoded
        case .response:
            return handshake(bytes, kind: .response, minimum: 5 + 32 + 48 + 16)
        case .finish:
            return handshake(bytes, kind: .finish, minimum: 5 + 48 + 16)
        case .cookieReply:
            var decoded = DecodedDatagram(kind: .cookieReply, byteCount: bytes.count)
            guard bytes.count == SealedFraming.cookieReplyBytes, let receiver = SealedFraming.uint32(bytes, at: 1) else {
                decoded.problem = .badLength(expected: "a cookie reply is \(SealedFraming.cookieReplyBytes) bytes")
                return decoded
            }
            decoded.receiverIndex = receiver
            name(&decoded)
            return decoded
        case .transport, .transportToAnotherRun:
            return transport(bytes, toReceiversRun: kind == .transport)
        }
    }

    /// A response or finish: only the receiver's index is in the clear (the sender's travels sealed).
    private func handshake(_ bytes: [UInt8], kind: DecodedDatagram.Kind, minimum: Int) -> DecodedDatagram {
        var decoded = DecodedDatagram(kind: kind, byteCount: bytes.count)
        guard bytes.count >= minimum, let receiver = SealedFraming.uint32(bytes, at: 1) else {
            decoded.problem = .badLength(expected: "at least \(minimum) bytes")
            return decoded
        }
        decoded.receiverIndex = receiver
        name(&decoded)
        return decoded
    }

    /// Names the two sides of a handshake message from the key-log entry one of its indexes belongs to, if any.
    private func name(_ decoded: inout DecodedDatagram) {
        for entry in entries {
            if let sender = decoded.senderIndex {
                if entry.localIndex == sender {
                    (decoded.sender, decoded.receiver) = (entry.localName, entry.remoteName)
                    return
                }
                if entry.remoteIndex == sender {
                    (decoded.sender, decoded.receiver) = (entry.remoteName, entry.localName)
                    return
                }
            } else if let receiver = decoded.receiverIndex {
                if entry.localIndex == receiver {
                    (decoded.sender, decoded.receiver) = (entry.remoteName, entry.localName)
                    return
                }
                if entry.remoteIndex == receiver {
                    (decoded.sender, decoded.receiver) = (entry.localName, entry.remoteName)
                    return
                }
            }
        }
    }

    private mutating func transport(_ bytes: [UInt8], toReceiversRun: Bool) -> DecodedDatagram {
        var decoded = DecodedDatagram(kind: .transport(toAnotherRun: !toReceiversRun), byteCount: bytes.count)
        guard bytes.count >= SealedFraming.transportOverhead, bytes.count <= Wire.maxDatagramBytes,
              let index = SealedFraming.uint32(bytes, at: 1), let truncated = SealedFraming.uint32(bytes, at: 5)
        else {
            let range = "\(SealedFraming.transportOverhead) to \(Wire.maxDatagramBytes) bytes"
            decoded.problem = .badLength(expected: range)
            return decoded
        }
        decoded.receiverIndex = index
        decoded.packetNumber = UInt64(truncated)
        let candidates = byIndex[index] ?? []
        guard !candidates.isEmpty else {
            decoded.problem = .noKey(index: index)
            return decoded
        }
        let header = Array(bytes[0..<SealedFraming.transportHeaderBytes])
        let sealed = Array(bytes[SealedFraming.transportHeaderBytes...])
        for position in candidates {
            let number = directions[position].window.expand(truncated)
            guard let plaintext = try? directions[position].cipher.open(nonce: number, associatedData: header,
                                                                         ciphertext: sealed)
            else { continue }
            let direction = directions[position]
            decoded.packetNumber = number
            decoded.sender = direction.sender
            decoded.receiver = direction.receiver
            decoded.isRepeat = !direction.window.isFresh(number)
            directions[position].window.accept(number)
            if plaintext.isEmpty {
                decoded.isKeepalive = true
                return decoded
            }
            let context = CompactWire.Context(from: direction.sender, session: direction.senderRun,
                                              to: toReceiversRun ? direction.receiverRun : nil)
            do {
                decoded.datagram = try CompactWire.decode(plaintext, context: context)
            } catch {
                decoded.problem = .malformedContents(error.description)
            }
            return decoded
        }
        decoded.problem = .authenticationFailed(keysTried: candidates.count)
        return decoded
    }

    private func readable(_ bytes: [UInt8]) -> DecodedDatagram {
        var decoded = DecodedDatagram(kind: .readable, byteCount: bytes.count)
        do {
            decoded.datagram = try Wire.decode(bytes)
        } catch {
            decoded.problem = .malformedReadable(error.description)
        }
        return decoded
    }

    private func unknown(_ first: UInt8, count: Int) -> DecodedDatagram {
        var decoded = DecodedDatagram(kind: .unknown(first), byteCount: count)
        decoded.problem = .notPeer
        return decoded
    }
}
