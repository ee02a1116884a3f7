/// A min-heap of deadlines (monotonic milliseconds). Elements with equal deadlines come out in the
/// order they went in.
struct TimerHeap<Element> {
    private struct Entry {
        let deadline: Int
        let sequence: UInt64
        let element: Element

        func precedes(_ other: Entry) -> Bool {
            deadline != other.deadline ? deadline < other.deadline : sequence < other.sequence
        }
    }

    private var entries: [Entry] = []
    private var nextSequence: UInt64 = 0

    var isEmpty: Bool { entries.isEmpty }
    var count: Int { entries.count }
    var nextDeadline: Int? { entries.first?.deadline }

    mutating func insert(_ element: Element, deadline: Int) {
        entries.append(Entry(deadline: deadline, sequence: nextSequence, element: element))
        nextSequence &+= 1
        siftUp(entries.count - 1)
    }

    /// The earliest element whose deadline is at or before `now`, removed from the heap.
    mutating func popDue(now: Int) -> Element? {
        guard let first = entries.first, first.deadline <= now else { return nil }
        let last = entries.removeLast()
        if !entries.isEmpty {
            entries[0] = last
            siftDown(0)
        }
        return first.element
    }

    /// Empties the heap, returning the elements in deadline order.
    mutating func removeAll() -> [Element] {
        let sorted = entries.sorted { $0.precedes($1) }.map(\.element)
        entries.removeAll()
        return sorted
    }

    private mutating func siftUp(_ start: Int) {
        var child = start
        while child > 0 {
            let parent = (child - 1) / 2
            guard entries[child].precedes(entries[parent]) else { return }
            entries.swapAt(child, parent)
            child = parent
        }
    }

    private mutating func siftDown(_ start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < entries.count, entries[left].precedes(entries[smallest]) { smallest = left }
            if right < entries.count, entries[right].precedes(entries[smallest]) { smallest = right }
            guard smallest != parent else { return }
            entries.swapAt(parent, smallest)
            parent = smallest
        }
    }
}
