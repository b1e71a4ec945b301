import Foundation
import PeerWire
import Testing

/// docs/PROTOCOL.md's literal examples are real datagrams: each decodes, and encodes back to the same bytes.
struct ProtocolDocumentTests {
    static func examples() throws -> [String] {
        let document = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs/PROTOCOL.md")
        let text = try String(contentsOf: document, encoding: .utf8)
        // A header line in a code block, with the body line after it when the kind carries one.
        let lines = text.components(separatedBy: "\n")
        var examples: [String] = []
        for (index, line) in lines.enumerated() where line.hasPrefix("PEER/1 ") && !line.contains("<KIND>") {
            let next = index + 1 < lines.count ? lines[index + 1] : "```"
            let carriesBody = (line.contains(" DATA ") || line.contains(" RESEND ")) && !line.contains("fin=1")
            examples.append(line + "\n" + (carriesBody && next != "```" && !next.hasPrefix("<") ? next : ""))
        }
        return examples
    }

    @Test func everyExampleDecodesAndRoundTrips() throws {
        let examples = try Self.examples()
        #expect(examples.count >= 8)
        for example in examples {
            let bytes = Array(example.utf8)
            let datagram = try Wire.decode(bytes)
            #expect(Wire.encode(datagram) == bytes, "\(example)")
        }
    }
}
