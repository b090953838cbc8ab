import ClinloadXMLMapping
import Foundation

/// Assembled XML records on their way from the parsing thread to the loading
/// thread, so that libxml2's parse and schema validation (as much work as
/// xmllint's) run on one core while mapping, encryption and COPY run on the
/// other. Bounded by record count and tree memory, whatever the file's size: a
/// slow consumer simply makes the parser wait. As many records
/// as a chunk (256): while the loading thread sends one chunk to the server, the
/// parser can get a whole chunk ahead (with 64, each waited on the other for
/// about a quarter of the run).
///
/// The consumer `take`s until nil (the end) or an error (the parser's, rethrown:
/// a file that is not well-formed is refused as before); if it stops early it
/// `close`s the pipe, and the producer's next `put` returns false.
final class XMLRecordPipe: @unchecked Sendable {
    struct Item {
        var tree: XMLRecordTree
        var info: XMLRecordAssembler.RecordInfo
    }

    private let condition = NSCondition()
    private var items: [Item] = []
    private var head = 0
    private var queuedBytes = 0
    private var ended = false
    private var failure: Error?
    private var closed = false
    /// Trees the consumer is done with (up to 512: a full pipe and a chunk), for the producer to fill again
    /// instead of allocating a fresh tree per record.
    private var spare: [XMLRecordTree] = []
    let maxItems: Int
    let maxBytes: Int

    init(maxItems: Int = 256, maxBytes: Int = 8 << 20) {
        self.maxItems = maxItems
        self.maxBytes = maxBytes
    }

    /// Waits for room; false if the consumer has gone.
    func put(_ item: Item) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        while !closed && count > 0 && (count >= maxItems || queuedBytes >= maxBytes) { condition.wait() }
        guard !closed else { return false }
        items.append(item)
        queuedBytes += item.tree.footprint
        condition.broadcast()
        return true
    }

    /// The producer is done: at the end of the file, or with the error that stopped it.
    func finish(_ error: Error?) {
        condition.lock()
        ended = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next record, nil at the end; throws the producer's error once the
    /// records before it are taken.
    func take() throws -> Item? {
        condition.lock()
        defer { condition.unlock() }
        while count == 0 && !ended { condition.wait() }
        if count == 0 {
            if let failure { throw failure }
            return nil
        }
        let item = items[head]
        head += 1
        queuedBytes -= item.tree.footprint
        if head >= 1024 || head == items.count {   // compact now and then
            items.removeFirst(head)
            head = 0
        }
        condition.broadcast()
        return item
    }

    /// Gives back trees the consumer no longer needs (at most 512 are kept).
    func recycle(_ trees: [XMLRecordTree]) {
        condition.lock()
        defer { condition.unlock() }
        for tree in trees where spare.count < 512 { spare.append(tree) }
    }

    /// An empty tree for the producer: a recycled one when there is one.
    func emptyTree() -> XMLRecordTree {
        condition.lock()
        var tree = spare.popLast()
        condition.unlock()
        tree?.reset()
        return tree ?? XMLRecordTree()
    }

    /// The consumer stops early (an error, a cancellation): the producer stops at its next record.
    func close() {
        condition.lock()
        closed = true
        condition.broadcast()
        condition.unlock()
    }

    private var count: Int { items.count - head }
}

extension XMLRecordPipe {
    /// Runs `assembler` on a thread of its own, feeding this pipe; from here on the
    /// assembler (and its reader) belong to that thread. Returns a semaphore that is
    /// signalled when the thread has let go of them: wait for it before returning.
    func startProducing(from assembler: XMLRecordAssembler) -> DispatchSemaphore {
        let done = DispatchSemaphore(value: 0)
        let owned = AssemblerHandOver(assembler)
        let thread = Thread { [self] in
            var tree = emptyTree()
            do {
                while let info = try owned.assembler.next(into: &tree) {
                    guard put(Item(tree: tree, info: info)) else { break }
                    tree = emptyTree()
                }
                finish(nil)
            } catch {
                finish(error)
            }
            done.signal()
        }
        thread.name = "clinload-xml-parser"
        thread.stackSize = 8 << 20
        thread.start()
        return done
    }
}

/// The assembler crossing to the parsing thread once, never used by two threads.
private final class AssemblerHandOver: @unchecked Sendable {
    let assembler: XMLRecordAssembler
    init(_ assembler: XMLRecordAssembler) { self.assembler = assembler }
}
