extension Substring {
    /// Without leading and trailing spaces, tabs and carriage returns (files edited by hand, or on
    /// other systems).
    func trimmingWhitespace() -> Substring {
        var result = self
        while let first = result.first, first == " " || first == "\t" || first == "\r" { result.removeFirst() }
        while let last = result.last, last == " " || last == "\t" || last == "\r" { result.removeLast() }
        return result
    }
}

extension String {
    /// The file's lines, empty ones included, split at LF, CRLF or CR: a line number is its index plus one.
    var fileLines: [Substring] {
        split(omittingEmptySubsequences: false, whereSeparator: \.isNewline)
    }
}
