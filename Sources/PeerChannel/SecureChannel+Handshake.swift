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
        // Our listen port, then zeros that pad the initiation to its fixed size (sealed with a psk, so even they
        // authenticate; without, the handshake hash covers them).
        let port = [UInt8(configuration.listenPort >> 8), UInt8(configuration.listenPort & 0xFF)]
        let padding = SealedFraming.initiationBytes - SealedFraming.initiationHeaderBytes - 32 - (withKey ? 16 : 0)
        guard let noise = try? handshake.writeMessage(payload: port + [UInt8](repeating: 0, count: padding - 2))
        else { return }
        let index = newIndex()
        var message: [UInt8] = [withKey ? SealedFraming.Kind.initiationWithPreSharedKey.rawValue
                                        : SealedFraming.Kind.initiation.rawValue]
        message.appendBigEndian(index)
        message += port
        message += noise
        initiation = Initiation(handshake: handshake, index: index, message: message, attempts: 0,
                                nextAttempt: now + tunables.initialRetransmissionTimeout, firstSent: now,
                                lastSent: now)
        send(message, step: "initiation")
    }

    /// Message 1 from the other side: answer it with message 2 (within the allowance), keeping what is needed to
    /// read its message 3. A repeated one gets the same answer, not a second handshake.
    mutating func receiveInitiation(_ datagram: [UInt8], withPreSharedKey: Bool, now: Instant) {
        earnAllowance(datagram.count)
        responses.removeAll { now - $0.createdAt > Self.responseLifetime }
        guard withPreSharedKey == (configuration.preSharedKey != nil) else {
            reject(.preSharedKeyMismatch(theyUseOne: withPreSharedKey), bytes: datagram.count)
            return
        }
        let withCookie = datagram.count == SealedFraming.initiationBytes + SealedFraming.cookieBytes
        guard datagram.count == SealedFraming.initiationBytes || withCookie,
              let remoteIndex = SealedFraming.uint32(datagram, at: 1)
        else {
            reject(.badLength(kind: "initiation", bytes: datagram.count), bytes: datagram.count)
            return
        }
        let initiationBytes = Array(datagram[0..<SealedFraming.initiationBytes])
        if let pending = initiation, pending.message.starts(with: initiationBytes) {
            reject(.reflected, bytes: datagram.count)
            return
        }
        if let answered = responses.first(where: { $0.initiation == initiationBytes }) {
            record(.handshake(step: "initiation", direction: .incoming, bytes: datagram.count))
            guard spendAllowance(answered.message.count) else {
                reject(.amplificationLimit, bytes: datagram.count)
                return
            }
            send(answered.message, step: "response")
            hurryInitiation(now: now)
            return
        }
        // Under load — many responses a second, or half the table of answered handshakes taken (an honest peer
        // needs one or two) — initiations must come back with a cookie, so a trickle of forgeries can neither
        // cost handshake work nor push a genuine handshake out of the table before its third message arrives.
        let crowded = responses.count >= Self.maxResponses / 2
        if crowded || cookiesRequiredUntil.map({ now < $0 }) ?? false {
            guard cookies.isVouched(datagram, now: now) else {
                // Under load: no handshake work until the initiator shows it receives at our destination.
                record(.handshake(step: "initiation", direction: .incoming, bytes: datagram.count))
                guard let reply = cookies.reply(to: datagram, now: now), spendAllowance(reply.count) else {
                    reject(.amplificationLimit, bytes: datagram.count)
                    return
                }
                send(reply, step: "cookie")
                return
            }
        }
        guard var handshake = try? NoiseHandshake(
            pattern: pattern, initiator: false, prologue: Self.prologue, staticKey: configuration.staticKey,
            psk: configuration.preSharedKey)
        else { return }
        do {
            let payload = try handshake.readMessage(Array(initiationBytes[SealedFraming.initiationHeaderBytes...]))
            // The port in the clear header is where we answer; the one the handshake hash covers must agree.
            guard payload.prefix(2).elementsEqual(initiationBytes[5..<7]) else {
                reject(.malformedPayload("initiation's listen port differs from its header's"), bytes: datagram.count)
                return
            }
        } catch {
            reject(.handshakeFailed(step: "initiation", reason: error.description, preSharedKey: withPreSharedKey),
                   bytes: datagram.count)
            return
        }
        let index = newIndex()
        let noise: [UInt8]
        do {
            noise = try handshake.writeMessage(
                payload: HandshakePayload(index: index, run: ourRun, name: session.configuration.name).bytes)
        } catch {
            return
        }
        var message: [UInt8] = [SealedFraming.Kind.response.rawValue]
        message.appendBigEndian(remoteIndex)
        message += noise
        guard spendAllowance(message.count) else {
            reject(.amplificationLimit, bytes: datagram.count)
            return
        }
        record(.handshake(step: "initiation", direction: .incoming, bytes: datagram.count))
        countResponse(now: now)
        responses.append(Response(handshake: handshake, index: index, remoteIndex: remoteIndex,
                                  initiation: initiationBytes, message: message, createdAt: now))
        if responses.count > Self.maxResponses { responses.removeFirst() }
        send(message, step: "response")
        hurryInitiation(now: now)
    }

    /// The other side is there: its initiation came in. Ours, perhaps sent while the other side was not yet
    /// running (lost at a closed port) or backed off since, goes again now and then at the starting pace, so that
    /// whoever starts second has both handshakes under way at once, as when both start together, and is not kept
    /// waiting out the first one's timer. At most once per copy the timer sent (so at most doubling what the timer
    /// sends), and within the allowance (it is prompted by what arrived).
    mutating func hurryInitiation(now: Instant) {
        guard var pending = initiation, !pending.hurried, spendAllowance(pending.message.count) else { return }
        pending.hurried = true
        pending.attempts = 0
        pending.lastSent = now
        pending.nextAttempt = now + tunables.initialRetransmissionTimeout
        initiation = pending
        send(pending.message, step: "initiation")
    }

    /// A cookie reply to our initiation: the other side is under load; send the initiation again with it.
    mutating func receiveCookieReply(_ datagram: [UInt8], now: Instant) {
        guard datagram.count == SealedFraming.cookieReplyBytes, let index = SealedFraming.uint32(datagram, at: 1) else {
            reject(.badLength(kind: "cookie reply", bytes: datagram.count), bytes: datagram.count)
            return
        }
        guard var pending = initiation, pending.index == index else {
            reject(.unknownIndex(kind: "cookie reply"), bytes: datagram.count)
            return
        }
        record(.handshake(step: "cookie", direction: .incoming, bytes: datagram.count))
        // Unauthenticated: a forged cookie costs one useless initiation; the real peer answers the next one with a
        // real cookie, which replaces it.
        pending.message = Array(pending.message.prefix(SealedFraming.initiationBytes)) + datagram[5...]
        pending.lastSent = now
        initiation = pending
        send(pending.message, step: "initiation")
    }

    /// Counts a response; past `responsesPerSecondBeforeCookies` in a second, cookies are required for a second.
    mutating func countResponse(now: Instant) {
        if now - responseSecondStarted >= .seconds(1) {
            responseSecondStarted = now
            responsesThisSecond = 0
        }
        responsesThisSecond += 1
        if responsesThisSecond > Self.responsesPerSecondBeforeCookies { cookiesRequiredUntil = now + .seconds(1) }
    }

    /// Message 2, the answer to our message 1: if it authenticates a key we trust, send message 3 and start
    /// using the keys. A repeated one (our message 3 was lost) gets message 3 again.
    mutating func receiveResponse(_ datagram: [UInt8], now: Instant) {
        guard datagram.count >= 5 + 32 + 48 + 16, let index = SealedFraming.uint32(datagram, at: 1) else {
            reject(.badLength(kind: "response", bytes: datagram.count), bytes: datagram.count)
            return
        }
        if let finish = finishes.first(where: { $0.index == index }) {
            // Its sender did not get our message 3. Only the holder of its keys can have written a response
            // naming this index, but a copy may be replayed: message 3 is shorter, so it amplifies nothing.
            record(.handshake(step: "response", direction: .incoming, bytes: datagram.count))
            send(finish.message, step: "finish")
            return
        }
        guard var pending = initiation, pending.index == index else {
            if index == settledIndex {
                // Our initiation crossed theirs, and theirs finished first: nothing to do, nothing wrong. (Its
                // index was in the clear, so this may be a copy; either way nothing is acted on.)
                record(.handshake(step: "unneeded-response", direction: .incoming, bytes: datagram.count))
            } else {
                reject(.unknownIndex(kind: "response"), bytes: datagram.count)
            }
            return
        }
        guard let payload = readPayload(datagram, into: &pending.handshake, step: "response") else { return }
        record(.handshake(step: "response", direction: .incoming, bytes: datagram.count))
        guard payload.run != ourRun else {
            reject(.reflected, bytes: datagram.count)
            return
        }
        guard let remoteKey = pending.handshake.remoteStaticKey, trust(name: payload.name, key: remoteKey) else { return }
        let noise: [UInt8]
        do {
            noise = try pending.handshake.writeMessage(
                payload: HandshakePayload(index: index, run: ourRun, name: session.configuration.name).bytes)
        } catch {
            return
        }
        let remoteIndex = payload.index
        var message: [UInt8] = [SealedFraming.Kind.finish.rawValue]
        message.appendBigEndian(remoteIndex)
        message += noise
        let (initiatorToResponder, responderToInitiator) = pending.handshake.split()
        initiation = nil
        // Message 3 leaves before anything sealed with the keys it gives the responder.
        send(message, step: "finish")
        install(TransportKeys(
            localIndex: index, remoteIndex: remoteIndex, sending: initiatorToResponder,
            receiving: responderToInitiator, peerRun: payload.run, peerName: payload.name, peerKey: remoteKey,
            confirmed: false), now: now)
        // Repeated after about two round trips as this exchange measured them, until the responder shows it
        // holds the keys (it sends a keepalive at once). Timed from the last copy of message 1: from the first,
        // every lost copy before it would count as round trip, and at 30% loss the repetitions of a lost message
        // 3 drifted apart by minutes (2 × seconds, doubling), far past the responder's patience (10 s).
        let roundTrip = max(now - pending.lastSent, tunables.minimumRetransmissionTimeout)
        finishes.append(Finish(index: index, message: message, attempts: 0, nextAttempt: now + roundTrip * 2,
                               interval: roundTrip * 2))
        secured(payload, key: remoteKey)
    }

    /// Message 3: the initiator proves its key; the keys are ready on both sides.
    mutating func receiveFinish(_ datagram: [UInt8], now: Instant) {
        guard datagram.count >= 5 + 48 + 16, let index = SealedFraming.uint32(datagram, at: 1) else {
            reject(.badLength(kind: "finish", bytes: datagram.count), bytes: datagram.count)
            return
        }
        if let keys = keys.first(where: { $0.localIndex == index }), keys.confirmed {
            // Our keepalive was lost and the initiator repeats message 3: say again that we have the keys.
            record(.handshake(step: "finish", direction: .incoming, bytes: datagram.count))
            sendKeepalive(index: index)
            return
        }
        guard let position = responses.firstIndex(where: { $0.index == index }) else {
            reject(.unknownIndex(kind: "finish"), bytes: datagram.count)
            return
        }
        var handshake = responses[position].handshake
        guard let payload = readPayload(datagram, into: &handshake, step: "finish") else { return }
        record(.handshake(step: "finish", direction: .incoming, bytes: datagram.count))
        responses.remove(at: position)
        guard payload.run != ourRun else {
            reject(.reflected, bytes: datagram.count)
            return
        }
        guard let remoteKey = handshake.remoteStaticKey, trust(name: payload.name, key: remoteKey) else { return }
        let (initiatorToResponder, responderToInitiator) = handshake.split()
        // The index message 3 authenticates, not the one message 1 brought in the clear.
        install(TransportKeys(
            localIndex: index, remoteIndex: payload.index, sending: responderToInitiator,
            receiving: initiatorToResponder, peerRun: payload.run, peerName: payload.name, peerKey: remoteKey,
            confirmed: true), now: now)
        sendKeepalive(index: index)
        secured(payload, key: remoteKey)
    }

    /// The payload of a response or finish (the Noise message after its 5-byte header), read into `handshake`;
    /// nil, with the reject said, when it does not authenticate or parse (`handshake` is then unchanged).
    mutating func readPayload(_ datagram: [UInt8], into handshake: inout NoiseHandshake, step: String)
        -> HandshakePayload? {
        var attempt = handshake
        do {
            let payload = try HandshakePayload(parsing: try attempt.readMessage(Array(datagram[5...])))
            handshake = attempt
            return payload
        } catch let error as NoiseError {
            reject(.handshakeFailed(step: step, reason: error.description,
                                    preSharedKey: configuration.preSharedKey != nil), bytes: datagram.count)
        } catch let error as ChannelError {
            reject(error, bytes: datagram.count)
        } catch {
            reject(.malformedPayload("\(error)"), bytes: datagram.count)
        }
        return nil
    }

    /// Whether `key` may speak as `name` here, pinning it on first contact. A refusal is said once per handshake.
    mutating func trust(name: String, key: [UInt8]) -> Bool {
        let fingerprint = Fingerprint(publicKey: key).description
        if let expected = configuration.expectedKey, !expected.matches(publicKey: key) {
            record(.keyRefused(name: name, fingerprint: fingerprint, reason: "not-expected-key"))
            return false
        }
        if name == session.configuration.name, !configuration.allowsOurName {
            // Someone else using our name (two people both called `peer`, or a second bob joining bob's group):
            // not an impersonation to warn about, a name one of us must change.
            record(.keyRefused(name: name, fingerprint: fingerprint, reason: "our-name"))
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

    /// Keeps new keys (at most `maxKeys`, the oldest dropped), hands them to the key log when asked to, and lets
    /// out what waited for them.
    mutating func install(_ new: TransportKeys, now: Instant) {
        keys.append(new)
        if new.confirmed { settle() }
        if configuration.exportsKeys, let sending = new.sending.keyBytes, let receiving = new.receiving.keyBytes {
            keyLog.push(KeyLogEntry(
                localIndex: new.localIndex, remoteIndex: new.remoteIndex, localRun: ourRun, remoteRun: new.peerRun,
                localName: session.configuration.name, remoteName: new.peerName, sendingKey: Secret(sending),
                receivingKey: Secret(receiving)))
        }
        if keys.count > Self.maxKeys {
            let dropped = keys.removeFirst()
            finishes.removeAll { $0.index == dropped.localIndex }
        }
        flushWaiting(now: now)
    }

    /// Lets out, sealed and in order, what waited for keys (or for the other side to confirm them); what still
    /// cannot go waits on.
    mutating func flushWaiting(now: Instant) {
        let held = waiting
        waiting = []
        var released = false
        // Segments below the lowest one held left when they were made; only the held ones leave now.
        let firstHeld = held.compactMap(\.sequence).min() ?? 0
        for transmit in held {
            if let sealed = seal(transmit) {
                outgoing.push(sealed)
                released = true
            } else {
                waiting.append(transmit)
            }
        }
        if released { session.transmissionsLeft(now: now, from: firstHeld) }
    }

    /// Keys both sides hold now carry the conversation: a handshake of ours still waiting for its response would
    /// only add another set, so it stops (the other side answered it, or never will).
    mutating func settle() {
        if let pending = initiation { settledIndex = pending.index }
        initiation = nil
    }

    /// Says once per run of the other side that the conversation with it is secured (both sides' handshakes
    /// usually complete; the second says nothing new).
    mutating func secured(_ payload: HandshakePayload, key: [UInt8]) {
        guard lastSecuredRun != payload.run else { return }
        lastSecuredRun = payload.run
        record(.secured(name: payload.name, fingerprint: Fingerprint(publicKey: key).description, session: payload.run))
    }
}
