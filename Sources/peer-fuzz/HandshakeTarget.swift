import PeerChannel
import PeerHandshake
import PeerWire

/// Target `handshake`: the Noise state machine (`NoiseHandshake`, XX and XXpsk0 as PEER/2 runs them) fed what an
/// attacker could send between the genuine messages of one handshake.
///
/// The genuine handshake uses fixed static and ephemeral keys, so its three messages are the same in every
/// process (the seed corpus can hold them). The first input byte picks the pattern (bit 0: XXpsk0) and the message
/// to start at (the rest, modulo 3); then, before each genuine message, operations read from the input until a 0:
/// feed its reader an edited genuine message (`Mutator`), raw bytes, or a genuine message out of place; have
/// its writer read, or its reader write, out of turn. After the last message, operations are fed to the completed
/// handshake. It checks:
/// - a refused read or write leaves the handshake exactly as it was (what it shows, and the genuine message then
///   still succeeds, giving the genuine payload and transcript hash);
/// - no message but the genuine one is accepted where authentication is possible; only XX's first message, which
///   nothing authenticates, may be replaced, and then the genuine initiator must refuse the answer to it;
/// - out of turn is refused as `notOurTurn`, after the end as `handshakeComplete`;
/// - both sides end complete, with the same transcript hash and keys that open what the other sealed.
enum HandshakeTarget {
    /// One genuine handshake: both sides before each message (`states[k]`, initiator first), the messages and the
    /// payloads they carry.
    struct Transcript {
        let pattern: NoisePattern
        let states: [[NoiseHandshake]]
        let messages: [[UInt8]]
        let payloads: [[UInt8]]
    }

    static let prologue = Array("PEER/2".utf8)
    static let ephemeralKeys: [[UInt8]] = [[UInt8](repeating: 0xE1, count: 32), [UInt8](repeating: 0xE2, count: 32)]
    static let transcripts = [transcript(.XX), transcript(.XXpsk0)]

    static func transcript(_ pattern: NoisePattern) -> Transcript {
        let preSharedKey = pattern.usesPreSharedKey ? ChannelRun.preSharedKey : nil
        let padding = SealedFraming.initiationBytes - 5 - 32 - (preSharedKey == nil ? 0 : 16)
        let payloads = [
            [UInt8](repeating: 0, count: padding),
            HandshakePayload(index: 2, run: ChannelRun.runs[1], name: ChannelRun.names[1]).bytes,
            HandshakePayload(index: 1, run: ChannelRun.runs[0], name: ChannelRun.names[0]).bytes,
        ]
        do {
            var sides = try (0..<2).map { side in
                try NoiseHandshake(pattern: pattern, initiator: side == 0, prologue: prologue,
                                   staticKey: ChannelRun.staticKeys[side], psk: preSharedKey,
                                   ephemeralKey: ephemeralKeys[side])
            }
            var states = [sides]
            var messages: [[UInt8]] = []
            for step in 0..<3 {
                let writer = step % 2
                let message = try sides[writer].writeMessage(payload: payloads[step])
                guard try sides[1 - writer].readMessage(message) == payloads[step] else {
                    violated("the genuine handshake's payload \(step) changed on the way")
                }
                messages.append(message)
                states.append(sides)
            }
            return Transcript(pattern: pattern, states: states, messages: messages, payloads: payloads)
        } catch {
            violated("the genuine \(pattern) handshake failed: \(error)")
        }
    }

    static func run(_ data: UnsafeRawBufferPointer) {
        var input = FuzzInput(Array(data))
        let first = input.byte()
        let transcript = transcripts[Int(first & 1)]
        let start = Int(first >> 1) % 3
        var sides = transcript.states[start]
        var attacked = false
        for step in start..<3 {
            let writer = step % 2
            let reader = 1 - writer
            var readerTouched = false
            var writerTouched = false
            var consumed = false
            operations: while !input.isExhausted {
                let message: [UInt8]
                switch input.byte() % 8 {
                case 0:
                    break operations
                case 2:
                    message = input.lengthPrefixed()
                case 3:
                    message = transcript.messages[input.below(3)]
                case 4:
                    writerTouched = true
                    let other = Mutator.mutate(transcript.messages[input.below(3)], pool: transcript.messages,
                                               input: &input)
                    expectRefusal(of: other, by: &sides[writer], as: .notOurTurn, "writer reads at step \(step)")
                    continue operations
                case 5:
                    // Once it has read this step's message it is the reader's turn to write: nothing to refuse.
                    guard !consumed else { continue operations }
                    readerTouched = true
                    let before = sides[reader]
                    do {
                        _ = try sides[reader].writeMessage(payload: input.bytes(Int(input.byte())))
                        violated("the reader wrote out of turn at step \(step)")
                    } catch {
                        if error != .notOurTurn { violated("writing out of turn: \(error)") }
                        expectUnchanged(sides[reader], before, "after a refused write at step \(step)")
                    }
                    continue operations
                default:
                    message = Mutator.mutate(transcript.messages[input.below(3)], pool: transcript.messages,
                                             input: &input)
                }
                readerTouched = true
                if consumed {
                    expectRefusal(of: message, by: &sides[reader], as: step == 2 ? .handshakeComplete : .notOurTurn,
                                  "a second message \(step)")
                    continue operations
                }
                let before = sides[reader]
                do {
                    let payload = try sides[reader].readMessage(message)
                    if message == transcript.messages[step] {
                        expectGenuine(sides[reader], payload, transcript, step: step, reader: reader)
                        consumed = true
                    } else if transcript.pattern == .XX, step == 0 {
                        // Nothing authenticates XX's first message: the responder now runs another handshake.
                        checkDiverged(responder: sides[reader], initiator: sides[writer], transcript)
                        return
                    } else {
                        violated("\(transcript.pattern) step \(step): accepted \(message) for \(transcript.messages[step])")
                    }
                } catch {
                    expectUnchanged(sides[reader], before, "after refusing \(message) at step \(step) (\(error))")
                }
            }
            attacked = attacked || readerTouched || writerTouched
            if writerTouched {
                // Its refusals changed nothing: it writes exactly the genuine message (its ephemeral key is fixed).
                do {
                    let message = try sides[writer].writeMessage(payload: transcript.payloads[step])
                    if message != transcript.messages[step] { violated("step \(step) written differently after refusals") }
                } catch {
                    violated("the genuine message \(step) could not be written after refusals: \(error)")
                }
            } else {
                sides[writer] = transcript.states[step + 1][writer]
            }
            if consumed { continue }
            if readerTouched {
                do {
                    let payload = try sides[reader].readMessage(transcript.messages[step])
                    expectGenuine(sides[reader], payload, transcript, step: step, reader: reader)
                } catch {
                    violated("\(transcript.pattern) step \(step): genuine message refused after refusals: \(error)")
                }
            } else {
                sides[reader] = transcript.states[step + 1][reader]
            }
        }
        // Complete: whatever comes now is refused, and changes nothing.
        while !input.isExhausted {
            attacked = true
            let operation = input.byte()
            let side = Int(operation & 1)
            if operation & 2 != 0 {
                let before = sides[side]
                do {
                    _ = try sides[side].writeMessage(payload: [])
                    violated("wrote a message after the handshake completed")
                } catch {
                    if error != .handshakeComplete { violated("writing after the end: \(error)") }
                    expectUnchanged(sides[side], before, "after a write past the end")
                }
            } else {
                let message = Mutator.mutate(transcript.messages[input.below(3)], pool: transcript.messages,
                                             input: &input)
                expectRefusal(of: message, by: &sides[side], as: .handshakeComplete, "a message after the end")
            }
        }
        if attacked { checkComplete(sides) }
    }

    /// `side` must refuse `message` with `error` and stay as it was.
    static func expectRefusal(of message: [UInt8], by side: inout NoiseHandshake, as expected: NoiseError,
                              _ what: String) {
        let before = side
        do {
            _ = try side.readMessage(message)
            violated("\(what): accepted")
        } catch {
            if error != expected { violated("\(what): refused as \(error), not \(expected)") }
            expectUnchanged(side, before, what)
        }
    }

    /// What a handshake shows of itself is as it was.
    static func expectUnchanged(_ after: NoiseHandshake, _ before: NoiseHandshake, _ what: String) {
        guard after.messagesDone == before.messagesDone, after.isComplete == before.isComplete,
              after.isOurTurnToWrite == before.isOurTurnToWrite, after.handshakeHash == before.handshakeHash,
              after.remoteStaticKey == before.remoteStaticKey
        else { violated("handshake changed \(what)") }
    }

    /// A genuine message was read: the payload and the transcript are the genuine handshake's.
    static func expectGenuine(_ side: NoiseHandshake, _ payload: [UInt8], _ transcript: Transcript, step: Int,
                              reader: Int) {
        if payload != transcript.payloads[step] { violated("step \(step): payload \(payload)") }
        if side.handshakeHash != transcript.states[step + 1][reader].handshakeHash {
            violated("step \(step): transcript hash differs from the genuine handshake's")
        }
    }

    /// The responder took a first message that is not the initiator's: the initiator must refuse its answer.
    static func checkDiverged(responder: NoiseHandshake, initiator: NoiseHandshake, _ transcript: Transcript) {
        var responder = responder
        var initiator = initiator
        let before = responder
        let answer: [UInt8]
        do {
            answer = try responder.writeMessage(payload: transcript.payloads[1])
        } catch {
            // A small-order ephemeral key in the forged message: the responder cannot answer, and is unchanged.
            expectUnchanged(responder, before, "after a refused answer (\(error))")
            return
        }
        let waiting = initiator
        do {
            _ = try initiator.readMessage(answer)
            violated("the initiator accepted an answer to a first message it did not send")
        } catch {
            expectUnchanged(initiator, waiting, "after refusing an answer to another first message")
        }
    }

    /// Both sides finished the same handshake: same transcript hash, and each opens what the other seals.
    static func checkComplete(_ sides: [NoiseHandshake]) {
        guard sides.allSatisfy(\.isComplete), sides[0].handshakeHash == sides[1].handshakeHash else {
            violated("the handshake did not complete the same on both sides")
        }
        let initiator = sides[0].split()
        let responder = sides[1].split()
        let plaintext = Array("after the handshake".utf8)
        do {
            let there = try initiator.initiatorToResponder.seal(nonce: 7, plaintext: plaintext)
            let back = try responder.responderToInitiator.seal(nonce: 9, plaintext: plaintext)
            guard try responder.initiatorToResponder.open(nonce: 7, ciphertext: there) == plaintext,
                  try initiator.responderToInitiator.open(nonce: 9, ciphertext: back) == plaintext
            else { violated("transport keys do not match") }
        } catch {
            violated("transport keys do not match: \(error)")
        }
    }
}
