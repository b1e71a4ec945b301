import Foundation

/// Lines typed (or piped) by the user, handed from the input thread to the protocol thread.
///
/// Bounded: `push` blocks while it is full, so a fast producer (a large file on stdin) is read only as fast
/// as the network carries it, and memory stays flat whatever the input size.
final class InputQueue: @unchecked Sendable {
    // Guarded by `condition`; @unchecked because NSCondition is the lock.
    private let condition = NSCondition()
    private var lines: [String] = []
    private var head = 0
    private var ended = false
    private var closed = false
    private let capacity: Int

    init(capacity: Int) {
        self.capacity = capacity
    }

    /// Adds a line; waits while the queue is full. Returns false if the runtime has stopped (the line is dropped).
    func push(_ line: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while lines.count - head >= capacity, !closed { condition.wait() }
        guard !closed else { return false }
        lines.append(line)
        return true
    }

    /// Marks the end of input.
    func end() {
        condition.lock()
        ended = true
        condition.unlock()
    }

    /// Wakes any waiting producer for good: the runtime has stopped. Returns how many lines were still waiting
    /// (they are discarded, never sent).
    @discardableResult
    func close() -> Int {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        let discarded = lines.count - head
        lines.removeAll()
        head = 0
        condition.broadcast()
        return discarded
    }

    /// Takes up to `limit` lines, and whether input has ended with nothing left behind them.
    func take(limit: Int) -> (lines: [String], ended: Bool) {
        condition.lock()
        defer { condition.unlock() }
        let count = min(limit, lines.count - head)
        let taken = Array(lines[head..<(head + count)])
        head += count
        if head == lines.count {
            lines.removeAll(keepingCapacity: true)
            head = 0
        } else if head > 4096 {
            lines.removeFirst(head)
            head = 0
        }
        if count > 0 { condition.broadcast() }
        return (taken, ended && head == lines.count)
    }
}
