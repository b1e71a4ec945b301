import PeerSession

/// A min-heap of actions by time; equal times come out in the order they went in, so a link stays FIFO.
struct TimedQueue<Element> {
    private var heap: [(time: Instant, order: Int, element: Element)] = []
    private var pushed = 0

    mutating func push(_ element: Element, at time: Instant) {
        heap.append((time, pushed, element))
        pushed += 1
        var child = heap.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard Self.before(heap[child], heap[parent]) else { break }
            heap.swapAt(child, parent)
            child = parent
        }
    }

    mutating func pop() -> (Instant, Element)? {
        guard !heap.isEmpty else { return nil }
        heap.swapAt(0, heap.count - 1)
        let top = heap.removeLast()
        var parent = 0
        while true {
            var smallest = parent
            for child in [2 * parent + 1, 2 * parent + 2] where child < heap.count {
                if Self.before(heap[child], heap[smallest]) { smallest = child }
            }
            guard smallest != parent else { break }
            heap.swapAt(parent, smallest)
            parent = smallest
        }
        return (top.time, top.element)
    }

    private static func before(_ a: (time: Instant, order: Int, element: Element),
                               _ b: (time: Instant, order: Int, element: Element)) -> Bool {
        (a.time, a.order) < (b.time, b.order)
    }
}
