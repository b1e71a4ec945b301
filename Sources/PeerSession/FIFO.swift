/// A first-in, first-out queue with O(1) amortised push and pop, for the session's output queues (and the
/// simulator's and runtime's input queues).
public struct FIFO<Element> {
    /// An empty queue.
    public init() {}

    private var storage: [Element] = []
    private var head = 0

    /// Whether nothing is queued.
    public var isEmpty: Bool { head == storage.count }
    /// How many elements are queued.
    public var count: Int { storage.count - head }

    /// Adds an element at the back.
    public mutating func push(_ element: Element) { storage.append(element) }

    /// Removes and returns the front element, or nil when empty.
    public mutating func pop() -> Element? {
        guard head < storage.count else { return nil }
        let element = storage[head]
        head += 1
        if head == storage.count {
            storage.removeAll(keepingCapacity: true)
            head = 0
        } else if head >= 1024, head * 2 >= storage.count {
            storage.removeFirst(head)
            head = 0
        }
        return element
    }
}
extension FIFO: Sendable where Element: Sendable {}
