@testable import Coaching
import XCTest

final class TimerHeapTests: XCTestCase {
    func testElementsComeOutInDeadlineOrderOnlyOnceDue() {
        var heap = TimerHeap<String>()
        heap.insert("c", deadline: 30)
        heap.insert("a", deadline: 10)
        heap.insert("b", deadline: 20)
        XCTAssertEqual(heap.nextDeadline, 10)
        XCTAssertNil(heap.popDue(now: 9))
        XCTAssertEqual(heap.popDue(now: 25), "a")
        XCTAssertEqual(heap.popDue(now: 25), "b")
        XCTAssertNil(heap.popDue(now: 25))
        XCTAssertEqual(heap.count, 1)
        XCTAssertEqual(heap.popDue(now: 30), "c")
        XCTAssertTrue(heap.isEmpty)
        XCTAssertNil(heap.nextDeadline)
    }

    func testEqualDeadlinesKeepInsertionOrder() {
        var heap = TimerHeap<Int>()
        for value in 0..<20 { heap.insert(value, deadline: 5) }
        var out: [Int] = []
        while let value = heap.popDue(now: 5) { out.append(value) }
        XCTAssertEqual(out, Array(0..<20))
    }

    func testManyRandomDeadlinesPopSorted() {
        var heap = TimerHeap<Int>()
        var generator = SystemRandomNumberGenerator()
        let deadlines = (0..<500).map { _ in Int.random(in: 0..<1000, using: &generator) }
        for (index, deadline) in deadlines.enumerated() { heap.insert(index, deadline: deadline) }
        var popped: [Int] = []
        while let index = heap.popDue(now: 1000) { popped.append(deadlines[index]) }
        XCTAssertEqual(popped, deadlines.sorted())
    }

    func testRemoveAllReturnsEverythingInDeadlineOrderAndEmpties() {
        var heap = TimerHeap<String>()
        heap.insert("late", deadline: 50)
        heap.insert("early", deadline: 1)
        heap.insert("middle", deadline: 20)
        XCTAssertEqual(heap.removeAll(), ["early", "middle", "late"])
        XCTAssertTrue(heap.isEmpty)
    }
}
