extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns (files edited by hand, or on other systems).
    func trimmingWhitespace() -> Substring {
        let isBlank = { (byte: UInt8) in byte == 0x20 || byte == 0x09 || byte == 0x0D }
        var bytes = utf8[...]
        while let first = bytes.first, isBlank(first) { bytes.removeFirst() }
        while let last = bytes.last, isBlank(last) { bytes.removeLast() }
        return Substring(bytes)
    }

    /// The fields of a line: runs of bytes between spaces and tabs. Bytes, not Characters: a space followed by
    /// a combining mark is one Character, and must not glue two fields together.
    var fields: [Substring] {
        utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x09 }).map { Substring($0) }
    }
}

extension String {
    /// The file's lines, empty ones included, split at each LF byte only (a CR before it is trimmed by
    /// `trimmingWhitespace`): Unicode's other line breaks (U+2028, NEL) may sit inside a name and must not end
    /// its line. A line number is the index plus one.
    var fileLines: [Substring] {
        utf8.split(separator: 0x0A, omittingEmptySubsequences: false).map { Substring($0) }
    }
}
