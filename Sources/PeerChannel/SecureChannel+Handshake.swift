import PeerCrypto
import PeerHandshake
import PeerIdentity
import PeerSession
import PeerWire

extension SecureChannel {
    /// Writes message 1 of a new handshake and sends it.
    mutating func startInitiation(now: Instant) {
        guard var handshake = try? NoiseHandshake(
            pattern: pattern, initiator: true, prologue: Self.prologue, staticKey: configuration.staticKey,
            psk: configuration.preSharedKey)
        else { return }
        let withKey = configuration.preSharedKey != nil
        // Zeros that pad the initiation to its fixed size (sealed with a psk, so even they authenticate).
        let padding = SealedFraming.initiationBytes - 5 - 32 - (withKey ? 16 : 0)
        guard let noise = try? handshake.writeMessage(payload: [UInt8](repeating: 0, count: padding)) else { return }
        let index = newIndex()
        var message: [UInt8] = [withKey ? SealedFraming.Kind.initiationWithPreSharedKey.rawValue
                                        : SealedFraming.Kind.initiation.rawValue]
        message.appendBigEndian(index)
        message += noise
        initiation = Initiation(handshake: handshake, index: index, message: message, attempts: 0,
                                nextAttempt: now + tunables.initialRetransmissionTimeout, firstSent: now)
        send(message, step: "initiation")
    }

    /// Message 1 from the other side: answer it with message 2 (within the allowance), keeping what is needed to
    /// read its message 3. A repeated one gets the same answer, not a second handshake.
    mutating func receiveInitiation(_ datagram: [UInt8], withPreSharedKey: Bool, now: Instant) {
        earnAllowance(datagram.count)
        guard withPreSharedKey == (configuration.preSharedKey != nil) else {
            reject(.preSharedKeyMismatch(theyUseOne: withPreSharedKey), bytes: datagram.count)
            return
        }
        guard datagram.count == SealedFraming.initiationBytes,
              let remoteIndex = SealedFraming.uint32(datagram, at: 1)
        else {
            reject(.badLength(kind: "initiation", bytes: datagram.count), bytes: datagram.count)
            return
        }
        if let answered = responses.first(where: { $0.initiation == datagram }) {
            record(.handshake(step: "initiation", direction: .incoming, bytes: datagram.count))
            guard spendAllowance(answered.message.count) else {
                reject(.amplificationLimit, bytes: datagram.count)
                return
            }
            send(answered.message, step: "response")
            return
        }
        guard var handshake = try? NoiseHandshake(
            pattern: pattern, initiator: false, prologue: Self.prologue, staticKey: configuration.staticKey,
            psk: configuration.preSharedKey)
        else { return }
        do {
            _ = try handshake.readMessage(Array(datagram[5...]))
        } catch {
            reject(.handshakeFailed(step: "initiation", reason: error.description, preSharedKey: withPreSharedKey),
                   bytes: datagram.count)
            return
        }
        let index = newIndex()
        let noise: [UInt8]
        do {
            noise = try handshake.writeMessage(payload: HandshakePayload(run: ourRun, name: session.configuration.name).bytes)
        } catch {
            return
        }
        var message: [UInt8] = [SealedFraming.Kind.response.rawValue]
        message.appendBigEndian(index)
        message.appendBigEndian(remoteIndex)
        message += noise
        guard spendAllowance(message.count) else {
            reject(.amplificationLimit, bytes: datagram.count)
            return
        }
        record(.handshake(step: "initiation", direction: .incoming, bytes: datagram.count))
        responses.append(Response(handshake: handshake, index: index, remoteIndex: remoteIndex, initiation: datagram,
                                  message: message))
        if responses.count > Self.maxResponses { responses.removeFirst() }
        send(message, step: "response")
    }

    /// Message 2, the answer to our message 1: if it authenticates a key we trust, send message 3 and start
    /// using the keys. A repeated one (our message 3 was lost) gets message 3 again.
    mutating func receiveResponse(_ datagram: [UInt8], now: Instant) {
        guard datagram.count >= 9 + 32 + 48 + 16,
              let remoteIndex = SealedFraming.uint32(datagram, at: 1),
              let index = SealedFraming.uint32(datagram, at: 5)
        else {
            reject(.badLength(kind: "response", bytes: datagram.count), bytes: datagram.count)
            return
        }
        if let finish = finishes.first(where: { $0.index == index }),
           let keys = keys.first(where: { $0.localIndex == index }), keys.remoteIndex == remoteIndex {
            // Its sender did not get our message 3. Only the holder of its keys can have written a response
            // naming this index, but a copy may be replayed: message 3 is shorter, so it amplifies nothing.
            record(.handshake(step: "response", direction: .incoming, bytes: datagram.count))
            send(finish.message, step: "finish")
            return
        }
        guard var pending = initiation, pending.index == index else {
            reject(.unknownIndex(kind: "response"), bytes: datagram.count)
            return
        }
        let payload: HandshakePayload
        do {
            payload = try HandshakePayload(parsing: try pending.handshake.readMessage(Array(datagram[9...])))
        } catch let error as NoiseError {
            reject(.handshakeFailed(step: "response", reason: error.description,
                                    preSharedKey: configuration.preSharedKey != nil), bytes: datagram.count)
            return
        } catch let error as ChannelError {
            reject(error, bytes: datagram.count)
            return
        } catch {
            return
        }
        // A peer's own key authenticates as well as any: without this, our own initiation and our answer to it,
        // sent back to us, would complete a handshake with ourselves and pin our own key.
        guard payload.run != ourRun else {
            reject(.reflected(step: "response"), bytes: datagram.count)
            return
        }
        record(.handshake(step: "response", direction: .incoming, bytes: datagram.count))
        guard let remoteKey = pending.handshake.remoteStaticKey, trust(name: payload.name, key: remoteKey) else { return }
        let noise: [UInt8]
        do {
            noise = try pending.handshake.writeMessage(
                payload: HandshakePayload(run: ourRun, name: session.configuration.name).bytes)
        } catch {
            return
        }
        var message: [UInt8] = [SealedFraming.Kind.finish.rawValue]
        message.appendBigEndian(index)
        message.appendBigEndian(remoteIndex)
        message += noise
        let (initiatorToResponder, responderToInitiator) = pending.handshake.split()
        initiation = nil
        // Message 3 leaves before anything sealed with the keys it gives the responder.
        send(message, step: "finish")
        install(TransportKeys(
            localIndex: index, remoteIndex: remoteIndex, sending: initiatorToResponder,
            receiving: responderToInitiator, peerRun: payload.run, peerName: payload.name, peerKey: remoteKey,
            confirmed: false))
        // Repeated after about two round trips as this exchange measured them, until the responder shows it
        // holds the keys (it sends a keepalive at once).
        let roundTrip = max(now - pending.firstSent, tunables.minimumRetransmissionTimeout)
        finishes.append(Finish(index: index, message: message, attempts: 0, nextAttempt: now + roundTrip * 2,
                               interval: roundTrip * 2))
        secured(payload, key: remoteKey)
    }

    /// Message 3: the initiator proves its key; the keys are ready on both sides.
    mutating func receiveFinish(_ datagram: [UInt8], now: Instant) {
        guard datagram.count >= 9 + 48 + 16,
              let remoteIndex = SealedFraming.uint32(datagram, at: 1),
              let index = SealedFraming.uint32(datagram, at: 5)
        else {
            reject(.badLength(kind: "finish", bytes: datagram.count), bytes: datagram.count)
            return
        }
        if let keys = keys.first(where: { $0.localIndex == index }), keys.remoteIndex == remoteIndex, keys.confirmed {
            // Our keepalive was lost and the initiator repeats message 3: say again that we have the keys.
            record(.handshake(step: "finish", direction: .incoming, bytes: datagram.count))
            sendKeepalive(index: index)
            return
        }
        guard let position = responses.firstIndex(where: { $0.index == index && $0.remoteIndex == remoteIndex }) else {
            reject(.unknownIndex(kind: "finish"), bytes: datagram.count)
            return
        }
        var handshake = responses[position].handshake
        let payload: HandshakePayload
        do {
            payload = try HandshakePayload(parsing: try handshake.readMessage(Array(datagram[9...])))
        } catch let error as NoiseError {
            reject(.handshakeFailed(step: "finish", reason: error.description,
                                    preSharedKey: configuration.preSharedKey != nil), bytes: datagram.count)
            return
        } catch let error as ChannelError {
            reject(error, bytes: datagram.count)
            return
        } catch {
            return
        }
        guard payload.run != ourRun else {
            reject(.reflected(step: "finish"), bytes: datagram.count)
            return
        }
        record(.handshake(step: "finish", direction: .incoming, bytes: datagram.count))
        responses.remove(at: position)
        guard let remoteKey = handshake.remoteStaticKey, trust(name: payload.name, key: remoteKey) else { return }
        let (initiatorToResponder, responderToInitiator) = handshake.split()
        install(TransportKeys(
            localIndex: index, remoteIndex: remoteIndex, sending: responderToInitiator,
            receiving: initiatorToResponder, peerRun: payload.run, peerName: payload.name, peerKey: remoteKey,
            confirmed: true))
        sendKeepalive(index: index)
        secured(payload, key: remoteKey)
    }

    /// Whether `key` may speak as `name` here, pinning it on first contact. A refusal is said once per handshake.
    mutating func trust(name: String, key: [UInt8]) -> Bool {
        let fingerprint = Fingerprint(publicKey: key).description
        if let expected = configuration.expectedKey, !expected.matches(publicKey: key) {
            record(.keyRefused(name: name, fingerprint: fingerprint, reason: "not-expected-key"))
            return false
        }
        if let pinned = knownKeys[name] {
            guard pinned == key else {
                record(.keyRefused(name: name, fingerprint: fingerprint, reason: "key-changed"))
                return false
            }
        } else if let peerKey, peerKey != key {
            record(.keyRefused(name: name, fingerprint: fingerprint, reason: "another-peer"))
            return false
        } else {
            knownKeys[name] = key
            // Built whatever the categories: the runtime keeps the pin because of it.
            events.push(.pinned(name: name, fingerprint: fingerprint, publicKey: key))
        }
        peerKey = key
        return true
    }

    /// Keeps new keys (at most `maxKeys`, the oldest dropped) and lets out what waited for them.
    mutating func install(_ new: TransportKeys) {
        keys.append(new)
        if keys.count > Self.maxKeys {
            let dropped = keys.removeFirst()
            finishes.removeAll { $0.index == dropped.localIndex }
        }
        let held = waiting
        waiting = []
        for transmit in held {
            if let sealed = seal(transmit) { outgoing.push(sealed) }
        }
    }

    /// Says once per run of the other side that the conversation with it is secured (both sides' handshakes
    /// usually complete; the second says nothing new).
    mutating func secured(_ payload: HandshakePayload, key: [UInt8]) {
        guard lastSecuredRun != payload.run else { return }
        lastSecuredRun = payload.run
        record(.secured(name: payload.name, fingerprint: Fingerprint(publicKey: key).description, session: payload.run))
    }
}
