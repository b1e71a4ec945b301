import PeerHandshake
import PeerSession
import PeerWire

extension SecureChannel {
    /// The keys to seal with: the newest the other side is known to hold, else the newest we have.
    var sendingKeysPosition: Int? {
        keys.lastIndex(where: \.confirmed) ?? (keys.isEmpty ? nil : keys.count - 1)
    }

    /// The session's datagram sealed for the wire, or nil when no keys exist yet.
    mutating func seal(_ transmit: Transmit) -> Transmit? {
        guard let position = sendingKeysPosition else { return nil }
        // Keys our message 3 gave the responder may not have reached it (message 3 lost): a whole backlog sealed
        // with them would be refused and have to be sent again, so only a few datagrams go before it confirms.
        guard keys[position].confirmed || keys[position].nextPacket < Self.unconfirmedBudget else { return nil }
        let number = keys[position].nextPacket
        let kind: SealedFraming.Kind = transmit.to == keys[position].peerRun ? .transport : .transportToAnotherRun
        let header = SealedFraming.transportHeader(kind: kind, receiverIndex: keys[position].remoteIndex,
                                                   packetNumber: number)
        guard let sealed = try? keys[position].sending.seal(nonce: number, associatedData: header,
                                                            plaintext: transmit.bytes)
        else { return nil }
        keys[position].nextPacket = number &+ 1
        var out = transmit
        out.bytes = header + sealed
        return out
    }

    /// A transport datagram with an empty plaintext: tells the initiator that we hold the keys.
    mutating func sendKeepalive(index: UInt32) {
        guard let position = keys.firstIndex(where: { $0.localIndex == index }) else { return }
        let number = keys[position].nextPacket
        let header = SealedFraming.transportHeader(kind: .transport, receiverIndex: keys[position].remoteIndex,
                                                   packetNumber: number)
        guard let sealed = try? keys[position].sending.seal(nonce: number, associatedData: header, plaintext: [])
        else { return }
        keys[position].nextPacket = number &+ 1
        record(.handshake(step: "keepalive", direction: .outgoing, bytes: header.count + sealed.count))
        outgoing.push(Transmit(bytes: header + sealed, route: .sendSocket, kind: .handshake, sequence: nil))
    }

    /// A sealed datagram: opened with the keys its index names, refused if it does not authenticate or was seen
    /// before, and only then handed to the session, as from the run and name those keys were agreed with.
    mutating func receiveTransport(_ datagram: [UInt8], toOurRun: Bool, now: Instant) {
        guard datagram.count >= SealedFraming.transportOverhead, datagram.count <= Wire.maxDatagramBytes,
              let index = SealedFraming.uint32(datagram, at: 1),
              let truncated = SealedFraming.uint32(datagram, at: 5)
        else {
            reject(.badLength(kind: "sealed datagram", bytes: datagram.count), bytes: datagram.count)
            return
        }
        guard let position = keys.firstIndex(where: { $0.localIndex == index }) else {
            reject(.unknownIndex(kind: "sealed datagram"), bytes: datagram.count)
            return
        }
        let number = keys[position].replay.expand(truncated)
        guard keys[position].replay.isFresh(number) else {
            reject(.replayed(number), bytes: datagram.count)
            return
        }
        let header = Array(datagram[0..<SealedFraming.transportHeaderBytes])
        guard let plaintext = try? keys[position].receiving.open(
            nonce: number, associatedData: header, ciphertext: Array(datagram[SealedFraming.transportHeaderBytes...]))
        else {
            reject(.authenticationFailed, bytes: datagram.count)
            return
        }
        keys[position].replay.accept(number)
        if !keys[position].confirmed {
            keys[position].confirmed = true
            finishes.removeAll { $0.index == index }
            settle()
            flushWaiting(now: now)
        }
        if plaintext.isEmpty {
            record(.handshake(step: "keepalive", direction: .incoming, bytes: datagram.count))
            return
        }
        let context = CompactWire.Context(from: keys[position].peerName, session: keys[position].peerRun,
                                          to: toOurRun ? ourRun : nil)
        let decoded: Datagram
        do {
            decoded = try CompactWire.decode(plaintext, context: context)
        } catch {
            reject(.malformedContents(error.description), bytes: datagram.count)
            return
        }
        session.receive(authenticated: decoded, bytes: datagram.count, now: now)
    }
}
