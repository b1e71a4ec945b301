import Glibc
import PeerSession

/// Turns log records into lines of text or JSON. Pure: the same record always gives the same line.
public enum LogFormatter {
    /// The record as one line, without the trailing newline.
    public static func line(_ record: LogRecord, format: LogFormat) -> String {
        switch format {
        case .text: textLine(record)
        case .json: jsonLine(record)
        }
    }

    /// `HH:MM:SS.mmm name#sess event key=value …` in local time; values with spaces are quoted.
    public static func textLine(_ record: LogRecord) -> String {
        var line = clockTime(record.wallMicroseconds)
        line += " \(textValue(.text(record.name)))#\(record.session.short) \(record.event.name)"
        for (key, value) in record.event.fields {
            line += " \(key)=\(textValue(value))"
        }
        return line
    }

    /// `{"time":"…Z","name":…,"session":…,"event":…, fields…}`.
    public static func jsonLine(_ record: LogRecord) -> String {
        var line = "{\"time\":\"\(isoTime(record.wallMicroseconds))\",\"name\":\(jsonString(record.name))"
        line += ",\"session\":\"\(record.session)\",\"event\":\"\(record.event.name)\""
        for (key, value) in record.event.fields {
            line += ",\"\(key)\":\(jsonValue(value))"
        }
        return line + "}"
    }

    static func textValue(_ value: LogValue) -> String {
        switch value {
        // Anything that could be text from the network is quoted as JSON when it holds a control or bidirectional
        // character, so the line shows `\u001b` rather than carrying the ESC.
        case .text(let text):
            text.isEmpty || SafeText.needsEscaping(text)
                || text.contains(where: { $0 == " " || $0 == "\"" || $0.isNewline }) ? jsonString(text) : text
        case .integer(let number): String(number)
        case .milliseconds(let span): formatMilliseconds(span)
        case .boolean(let flag): flag ? "true" : "false"
        }
    }

    static func jsonValue(_ value: LogValue) -> String {
        switch value {
        case .text(let text): jsonString(text)
        case .integer(let number): String(number)
        case .milliseconds(let span): formatMilliseconds(span)
        case .boolean(let flag): flag ? "true" : "false"
        }
    }

    /// Milliseconds with three decimals, without a unit: the field name says `_ms`.
    static func formatMilliseconds(_ span: TimeSpan) -> String {
        let micros = span.microseconds
        let sign = micros < 0 ? "-" : ""
        let magnitude = abs(micros)
        let fraction = String(magnitude % 1000)
        return "\(sign)\(magnitude / 1000).\(String(repeating: "0", count: 3 - fraction.count))\(fraction)"
    }

    /// A JSON string literal with everything that needs escaping escaped, including C1 and bidirectional
    /// controls (see `SafeText.jsonLiteral`).
    public static func jsonString(_ text: String) -> String {
        SafeText.jsonLiteral(text)
    }

    private static func brokenDown(_ wallMicroseconds: Int64, local: Bool) -> tm {
        var seconds = time_t(wallMicroseconds / 1_000_000)
        var parts = tm()
        if local { localtime_r(&seconds, &parts) } else { gmtime_r(&seconds, &parts) }
        return parts
    }

    private static func padded(_ value: Int32, _ width: Int) -> String {
        let digits = String(value)
        return String(repeating: "0", count: max(0, width - digits.count)) + digits
    }

    /// `12:00:01.234`, local time.
    static func clockTime(_ wallMicroseconds: Int64) -> String {
        let parts = brokenDown(wallMicroseconds, local: true)
        let millis = Int32((wallMicroseconds / 1000) % 1000)
        return "\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2)).\(padded(millis, 3))"
    }

    /// `2026-11-25T12:00:01.234567Z`, UTC.
    static func isoTime(_ wallMicroseconds: Int64) -> String {
        let parts = brokenDown(wallMicroseconds, local: false)
        let micros = Int32(wallMicroseconds % 1_000_000)
        return "\(padded(parts.tm_year + 1900, 4))-\(padded(parts.tm_mon + 1, 2))-\(padded(parts.tm_mday, 2))"
            + "T\(padded(parts.tm_hour, 2)):\(padded(parts.tm_min, 2)):\(padded(parts.tm_sec, 2))"
            + ".\(padded(micros, 6))Z"
    }
}
