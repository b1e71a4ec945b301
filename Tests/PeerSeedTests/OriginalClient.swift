/// The original classroom client, modelled literally (scripts/seed-client.py is the same rules in Python):
///
/// ```python
/// data, _ = listen.recvfrom(1024)          # longer datagrams are cut
/// message = data.decode()                  # invalid UTF-8 raises: the listener dies
/// print(message)                           # every datagram, resends included
/// tag = message.split('-')[1]              # no '-': IndexError, the listener dies
/// if tag != 'resend':
///     count = int(tag)                     # a '-' in the text leaves junk here: ValueError, the listener dies
///     received += 1
///     if count != len(sent):
///         for line in sent: fresh_socket().sendto((line + ' -resend').encode(), dest)
/// ```
/// and the sender: `send.sendto((line + ' -' + str(received)).encode(), dest); sent.append(line)`.
/// A dead listener processes nothing ever again; typing still works, with the count frozen.
final class OriginalClient {
    /// Every line typed, in order: what it replays.
    private(set) var sent: [String] = []
    /// First transmissions received (resends are never counted).
    private(set) var received = 0
    /// Every datagram printed, exactly as received.
    private(set) var printed: [String] = []
    /// The listener thread died (`split('-')`, `int()` or `decode()` raised).
    private(set) var listenerDead = false

    /// The user types `line`: the datagram sent from the source port.
    func type(_ line: String) -> [UInt8] {
        let datagram = Array((line + " -" + String(received)).utf8)
        sent.append(line)
        return datagram
    }

    /// A datagram arrives on the listen port: the replays it sends back, in order, each from a fresh socket.
    func receive(_ bytes: [UInt8]) -> [[UInt8]] {
        guard !listenerDead else { return [] }
        let data = Array(bytes.prefix(1024))
        guard let message = String(validating: data, as: UTF8.self) else { return die() }
        printed.append(message)
        // str.split('-') splits on U+002D only, which in UTF-8 is exactly the byte 0x2D.
        let parts = data.split(separator: 0x2D, omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return die() }
        let tag = String(decoding: parts[1], as: UTF8.self)
        if tag == "resend" { return [] }
        guard let count = Self.pythonInt(tag) else { return die() }
        received += 1
        guard count != sent.count else { return [] }
        return sent.map { Array(($0 + " -resend").utf8) }
    }

    private func die() -> [[UInt8]] {
        listenerDead = true
        return []
    }

    /// Python's `int(str)` for what can reach it here: surrounding whitespace allowed, an optional `+`, then
    /// decimal digits (a `-` cannot be there: it was split on). Underscores and non-ASCII digits, which Python
    /// also accepts, never occur in these tests.
    static func pythonInt(_ text: String) -> Int? {
        var body = Substring(text)
        while let first = body.first, first.isWhitespace { body.removeFirst() }
        while let last = body.last, last.isWhitespace { body.removeLast() }
        if body.first == "+" { body.removeFirst() }
        guard !body.isEmpty, body.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        return Int(body)
    }
}
