/// A binary min-heap ordered by time, then by insertion, so simultaneous events keep a deterministic order.
struct EventHeap<Payload> {
    private var items: [(key: Int64, order: UInt64, payload: Payload)] = []
    private var counter: UInt64 = 0

    var isEmpty: Bool { items.isEmpty }
    var nextKey: Int64? { items.first?.key }

    mutating func push(_ key: Int64, _ payload: Payload) {
        counter += 1
        items.append((key, counter, payload))
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard precedes(child, parent) else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (key: Int64, payload: Payload)? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let top = items.removeLast()
        var parent = 0
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, precedes(left, smallest) { smallest = left }
            if right < items.count, precedes(right, smallest) { smallest = right }
            guard smallest != parent else { break }
            items.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.key, top.payload)
    }

    private func precedes(_ lhs: Int, _ rhs: Int) -> Bool {
        (items[lhs].key, items[lhs].order) < (items[rhs].key, items[rhs].order)
    }
}
extension EventHeap: Sendable where Payload: Sendable {}
