import Glibc
import Peer
import PeerChannel
import PeerIdentity
import PeerWire

/// `peer decode [--keylog FILE] [HEX ...]`: what captured datagrams are, and for sealed ones whose keys a key log
/// holds, the readable PEER/1 header line and the body. Every input is hostile: bad hex, a truncated or forged
/// datagram, a damaged key-log line each get a sentence, never a crash. Exit status 0 when every datagram was
/// read to the end, 1 when one was not, 78 when a key log cannot be read.
enum DecodeCommand {
    /// Longer than any UDP datagram: refused before decoding.
    static let maxDigits = 2 * 65_536

    static func run(_ options: DecodeOptions) -> Int32 {
        var entries: [KeyLogEntry] = []
        for path in options.keyLogFiles {
            let text: String
            do {
                text = try KeyLogFile.read(path)
            } catch {
                return CommandLineTool.refusedFile(error)
            }
            let contents = KeyLog.parse(text)
            for problem in contents.problems {
                CommandLineTool.printError(
                    "peer: key log \(path) line \(problem.lineNumber) ignored: \(problem.reason)")
            }
            entries += contents.entries
        }
        var decoder = SealedDatagramDecoder(entries: entries)
        var number = 0
        var allRead = true
        func decodeOne(_ text: String) {
            number += 1
            let lines: [String]
            switch bytes(fromHex: text) {
            case .success(let datagram):
                let decoded = decoder.decode(datagram)
                if decoded.problem != nil { allRead = false }
                lines = describe(decoded, number: number)
            case .failure(let problem):
                allRead = false
                lines = ["#\(number) not hex: \(problem.reason)"]
            }
            // Datagram by datagram, so `tcpdump -l … | peer decode` shows each as it is captured.
            writeAll(STDOUT_FILENO, Array(lines.map { $0 + "\n" }.joined().utf8))
        }
        if options.datagrams.isEmpty {
            while let line = readLine(strippingNewline: true) {
                if line.allSatisfy(\.isWhitespace) { continue }
                decodeOne(line)
            }
        } else {
            options.datagrams.forEach(decodeOne)
        }
        return allRead ? 0 : 1
    }

    /// Why a line is not a datagram in hex.
    struct HexProblem: Error, Equatable {
        var reason: String
    }

    /// The bytes `text` spells in hex, two digits a byte, either case; spaces and tabs between digits are ignored
    /// (as `tcpdump -x` groups them), and so is a leading `0x`.
    static func bytes(fromHex text: String) -> Result<[UInt8], HexProblem> {
        var digits = Array(text.utf8.filter { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") && $0 != 0x0D })
        if digits.count >= 2, digits[0] == UInt8(ascii: "0"), digits[1] | 0x20 == UInt8(ascii: "x") {
            digits.removeFirst(2)
        }
        guard !digits.isEmpty else { return .failure(HexProblem(reason: "no digits")) }
        guard digits.count <= maxDigits else {
            return .failure(HexProblem(reason: "\(digits.count) digits, more than any UDP datagram"))
        }
        if let bad = digits.firstIndex(where: { !isHexDigit($0) }) {
            let character = String(decoding: digits[bad...].prefix(4), as: UTF8.self).unicodeScalars.first
                .map { SafeText.visible(String($0)) } ?? "?"
            return .failure(HexProblem(reason: "\"\(character)\" at digit \(bad + 1) is not a hex digit"))
        }
        guard digits.count % 2 == 0 else {
            return .failure(HexProblem(reason: "an odd number of digits (\(digits.count))"))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(digits.count / 2)
        var position = 0
        while position + 1 < digits.count {
            bytes.append(value(digits[position]) << 4 | value(digits[position + 1]))
            position += 2
        }
        return .success(bytes)
    }

    /// The lines printed for datagram `number`: a summary line starting `#number`, then indented lines (the
    /// PEER/1 header, `body: …` once per message it carries, or why it could not be read). Nothing from the
    /// datagram can start a line or reach the terminal unescaped.
    static func describe(_ decoded: DecodedDatagram, number: Int) -> [String] {
        var summary = "#\(number) \(word(for: decoded.kind)) bytes=\(decoded.byteCount)"
        if case .initiation(let preSharedKey) = decoded.kind, preSharedKey { summary += " psk=yes" }
        if case .unknown(let first) = decoded.kind { summary += " first_byte=0x" + String(first, radix: 16) }
        if let index = decoded.senderIndex { summary += " sender_index=\(KeyLog.hex8(index))" }
        if let port = decoded.listenPort { summary += " listen_port=\(port)" }
        if let index = decoded.receiverIndex { summary += " receiver_index=\(KeyLog.hex8(index))" }
        if let packet = decoded.packetNumber { summary += " packet=\(packet)" }
        if let sender = decoded.sender, let receiver = decoded.receiver { summary += " from=\(sender) to=\(receiver)" }
        if decoded.isRepeat { summary += " repeat=yes" }
        var lines = [SafeText.visible(summary)]
        if decoded.isKeepalive { lines.append("  keepalive (no contents: the responder holds the keys)") }
        if let datagram = decoded.datagram {
            var header = datagram
            header.body = []
            let headerLine = String(decoding: Wire.encode(header).dropLast(), as: UTF8.self)
            lines.append("  " + SafeText.visible(headerLine))
            for message in messages(in: datagram) {
                lines.append("  body: " + SafeText.visible(String(decoding: message, as: UTF8.self)))
            }
        }
        if let problem = decoded.problem { lines.append("  cannot read: " + SafeText.visible(problem.description)) }
        return lines
    }

    /// The body, cut into its messages when several travel together (`lens=`); nothing for an empty body.
    private static func messages(in datagram: Datagram) -> [ArraySlice<UInt8>] {
        guard !datagram.body.isEmpty else { return [] }
        guard datagram.lengths.count > 1 else { return [datagram.body[...]] }
        var pieces: [ArraySlice<UInt8>] = []
        var start = 0
        for length in datagram.lengths {
            // The decoder checked that the lengths add up to the body; cut defensively all the same.
            let end = min(datagram.body.count, start + max(0, length))
            pieces.append(datagram.body[start..<end])
            start = end
        }
        return pieces
    }

    private static func word(for kind: DecodedDatagram.Kind) -> String {
        switch kind {
        case .initiation: "initiation"
        case .response: "response"
        case .finish: "finish"
        case .cookieReply: "cookie-reply"
        case .transport(let toAnotherRun): toAnotherRun ? "transport-to-another-run" : "transport"
        case .readable: "PEER/1"
        case .unknown: "unknown"
        case .empty: "empty"
        }
    }

    private static func isHexDigit(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "f"),
             UInt8(ascii: "A")...UInt8(ascii: "F"): true
        default: false
        }
    }

    /// A checked hex digit's value.
    private static func value(_ digit: UInt8) -> UInt8 {
        digit <= UInt8(ascii: "9") ? digit &- UInt8(ascii: "0") : (digit | 0x20) &- UInt8(ascii: "a") &+ 10
    }
}
