import ClinloadCore
import ClinloadDefinitions

/// An `XMLPath` with its names resolved to interned ids, ready to evaluate
/// against record trees. Compiled once per batch.
///
/// The compiled form is flat: steps, predicates and locations are plain structs
/// in arrays that refer to each other by index, and evaluation walks them through
/// unsafe buffers. Every field of every record runs through `visit`, and nested
/// arrays there (a step's predicates, a slice of the remaining steps) cost a
/// retain and a release per step visited, which measured as a quarter of the
/// mapping time.
public struct CompiledXMLPath: Sendable {
    struct Step {
        var isParent = false
        var name: Int32 = -1        // -1 = any element
        var anyDepth = false
        /// The position `[n]` (0: none). Predicates before it decide what is
        /// counted; those after it test the n-th match only.
        var position = 0
        var predicates: Range<Int32> = 0..<0
        var after: Range<Int32> = 0..<0
    }

    enum Test: UInt8 { case equals, notEquals, exists }

    struct Predicate {
        var test: Test
        var location: Int32
        var literal: Range<Int32>   // in `Program.literals`
    }

    struct Location {
        var steps: Range<Int32>
        var attribute: Int32        // -1 = the element's text
        /// Whether one element can match more than once: through a parent step,
        /// or through two `**` steps (nested ancestors).
        var mayRepeat: Bool
    }

    /// The arrays every index refers to; immutable once compiled. Everything
    /// lives here, so copying a path (once per field per record) is one retain.
    final class Program: @unchecked Sendable {
        let steps: UnsafeMutableBufferPointer<Step>
        let predicates: UnsafeMutableBufferPointer<Predicate>
        let locations: UnsafeMutableBufferPointer<Location>
        let literals: UnsafeMutableBufferPointer<UInt8>
        /// Indexes into `locations`, in the path's order.
        let alternatives: UnsafeMutableBufferPointer<Int32>
        let text: String

        init(steps: [Step], predicates: [Predicate], locations: [Location], literals: [UInt8], alternatives: [Int32], text: String) {
            func copy<T>(_ array: [T]) -> UnsafeMutableBufferPointer<T> {
                let buffer = UnsafeMutableBufferPointer<T>.allocate(capacity: max(array.count, 1))
                _ = buffer.initialize(from: array)
                return UnsafeMutableBufferPointer(rebasing: buffer[..<array.count])
            }
            self.steps = copy(steps)
            self.predicates = copy(predicates)
            self.locations = copy(locations)
            self.literals = copy(literals)
            self.alternatives = copy(alternatives)
            self.text = text
        }

        deinit {
            steps.deallocate()
            predicates.deallocate()
            locations.deallocate()
            literals.deallocate()
            alternatives.deallocate()
        }
    }

    let program: Program
    public var text: String { program.text }

    /// Element steps without a prefix are in `defaultNamespace`; attributes
    /// without a prefix are in no namespace (as in XML itself).
    public init(_ path: XMLPath, defaultNamespace: String, prefixes: [String: String], names: XMLNameTable) throws {
        func resolve(_ name: XMLPath.Name, isAttribute: Bool) throws -> Int32 {
            let namespace: String
            if let prefix = name.prefix {
                guard let uri = prefixes[prefix] else {
                    throw ClinloadError(.pipelineInvalid, stage: .configuration, "a path uses a prefix the pipeline does not declare",
                                        location: .init(field: path.description, rule: "unknown_prefix"))
                }
                namespace = uri
            } else {
                namespace = isAttribute ? "" : defaultNamespace
            }
            return names.id(namespace: namespace, local: name.local)
        }
        var steps: [Step] = []
        var predicates: [Predicate] = []
        var locations: [Location] = []
        var literals: [UInt8] = []
        // A location's steps are contiguous, so the predicates' own locations are
        // compiled first and the location's steps appended after them.
        func location(_ l: XMLPath.Location) throws -> Int32 {
            var compiled: [Step] = []
            for step in l.steps {
                let split = step.predicates.firstIndex { if case .position = $0 { true } else { false } } ?? step.predicates.count
                func compile(_ list: ArraySlice<XMLPath.Predicate>) throws -> Range<Int32> {
                    var mine: [Predicate] = []
                    for p in list {
                        func literal(_ v: String) -> Range<Int32> {
                            let start = Int32(literals.count)
                            literals += Array(v.utf8)
                            return start..<Int32(literals.count)
                        }
                        switch p {
                        case .position: continue
                        case .equals(let l, let v): mine.append(Predicate(test: .equals, location: try location(l), literal: literal(v)))
                        case .notEquals(let l, let v): mine.append(Predicate(test: .notEquals, location: try location(l), literal: literal(v)))
                        case .exists(let l): mine.append(Predicate(test: .exists, location: try location(l), literal: 0..<0))
                        }
                    }
                    let start = Int32(predicates.count)
                    predicates += mine
                    return start..<Int32(predicates.count)
                }
                var position = 0
                if split < step.predicates.count, case .position(let n) = step.predicates[split] { position = n }
                compiled.append(Step(
                    isParent: step.isParent, name: try step.name.map { try resolve($0, isAttribute: false) } ?? -1,
                    anyDepth: step.anyDepth, position: position, predicates: try compile(step.predicates[..<split]),
                    after: try compile(step.predicates[min(split + 1, step.predicates.count)...])))
            }
            let start = Int32(steps.count)
            steps += compiled
            locations.append(Location(
                steps: start..<Int32(steps.count), attribute: try l.attribute.map { try resolve($0, isAttribute: true) } ?? -1,
                mayRepeat: compiled.contains { $0.isParent } || compiled.filter(\.anyDepth).count > 1))
            return Int32(locations.count - 1)
        }
        let alternatives = try path.alternatives.map(location)
        program = Program(steps: steps, predicates: predicates, locations: locations, literals: literals,
                          alternatives: alternatives, text: path.description)
    }

    /// Convenience: parse and compile; syntax errors become configuration errors.
    public init(_ text: String, defaultNamespace: String, prefixes: [String: String], names: XMLNameTable) throws {
        let path: XMLPath
        do {
            path = try XMLPath(text)
        } catch {
            throw ClinloadError(.pipelineInvalid, stage: .configuration, "a path in the pipeline is not valid path syntax",
                                location: .init(field: text, rule: error.rule))
        }
        try self.init(path, defaultNamespace: defaultNamespace, prefixes: prefixes, names: names)
    }

    /// The value at this path from `context`: the first alternative with a
    /// non-empty value; within one, the first match in document order.
    public func value(in tree: XMLRecordTree, from context: Int32) -> Range<Int>? {
        tree.withView { value(in: $0, from: context) }
    }

    public func value(in tree: XMLTreeView, from context: Int32) -> Range<Int>? {
        withExtendedLifetime(program) {
            let run = Evaluation(program, tree)
            for alternative in program.alternatives {
                if let range = run.firstValue(alternative, context), !range.isEmpty { return range }
            }
            return nil
        }
    }

    /// Every element this path matches from `context` (for row groups); the
    /// first alternative that matches anything wins.
    public func elements(in tree: XMLRecordTree, from context: Int32) -> [Int32] {
        tree.withView { elements(in: $0, from: context) }
    }

    public func elements(in tree: XMLTreeView, from context: Int32) -> [Int32] {
        withExtendedLifetime(program) {
            let run = Evaluation(program, tree)
            for alternative in program.alternatives where run.locations[Int(alternative)].attribute < 0 {
                var found: [Int32] = []
                let location = run.locations[Int(alternative)]
                // A parent step reaches the same element from each of its children:
                // each element is one row, once.
                var seen = Set<Int32>()
                _ = run.visit(location.steps.lowerBound, location.steps.upperBound, context) { node in
                    if !location.mayRepeat || seen.insert(node).inserted { found.append(node) }
                    return false
                }
                if !found.isEmpty { return found }
            }
            return []
        }
    }
}

/// One evaluation of a compiled path over one tree: plain buffers only, so the
/// recursion below allocates nothing and touches no reference count.
private struct Evaluation {
    let steps: UnsafeMutableBufferPointer<CompiledXMLPath.Step>
    let predicates: UnsafeMutableBufferPointer<CompiledXMLPath.Predicate>
    let locations: UnsafeMutableBufferPointer<CompiledXMLPath.Location>
    let literals: UnsafeMutableBufferPointer<UInt8>
    let tree: XMLTreeView

    init(_ program: CompiledXMLPath.Program, _ tree: XMLTreeView) {
        steps = program.steps
        predicates = program.predicates
        locations = program.locations
        literals = program.literals
        self.tree = tree
    }

    func firstValue(_ location: Int32, _ context: Int32) -> Range<Int>? {
        let l = locations[Int(location)]
        var found: Range<Int>?
        _ = visit(l.steps.lowerBound, l.steps.upperBound, context) { node in
            if l.attribute >= 0 {
                found = tree.attributeRange(of: node, name: l.attribute)
                return found != nil
            }
            let range = tree.textRange(of: node)
            if range.isEmpty { return false }
            found = range
            return true
        }
        return found
    }

    /// Calls `body` on each match of steps `step..<end` from `context` in document
    /// order, until it returns true (then returns true).
    func visit(_ step: Int32, _ end: Int32, _ context: Int32, _ body: (Int32) -> Bool) -> Bool {
        guard step < end else { return body(context) }
        if steps[Int(step)].isParent {
            let parent = tree.nodes[Int(context)].parent
            return parent >= 0 && visit(step + 1, end, parent, body)
        }
        var position = 0
        return scan(step, end, context, &position, body) == .stop
    }

    enum Scan { case more, exhausted, stop }

    /// Children (or, for `**`, descendants in document order) of `node` that
    /// match `step`, each continued with the steps after it.
    func scan(_ step: Int32, _ end: Int32, _ node: Int32, _ position: inout Int, _ body: (Int32) -> Bool) -> Scan {
        let s = steps[Int(step)]
        var child = tree.nodes[Int(node)].firstChild
        while child >= 0 {
            if s.name < 0 || tree.nodes[Int(child)].name == s.name, holdsAll(s.predicates, child) {
                position += 1
                if s.position == 0 || position == s.position, holdsAll(s.after, child), visit(step + 1, end, child, body) { return .stop }
                // `[n]` has been met: nothing later can match this step.
                if s.position > 0, position >= s.position { return .exhausted }
            }
            if s.anyDepth {
                let inner = scan(step, end, child, &position, body)
                if inner != .more { return inner }
            }
            child = tree.nodes[Int(child)].nextSibling
        }
        return .more
    }

    func holdsAll(_ range: Range<Int32>, _ node: Int32) -> Bool {
        var i = range.lowerBound
        while i < range.upperBound {
            if !holds(predicates[Int(i)], node) { return false }
            i += 1
        }
        return true
    }

    func holds(_ predicate: CompiledXMLPath.Predicate, _ node: Int32) -> Bool {
        let l = locations[Int(predicate.location)]
        switch predicate.test {
        case .exists:
            return visit(l.steps.lowerBound, l.steps.upperBound, node) { match in
                l.attribute < 0 || tree.attributeRange(of: match, name: l.attribute) != nil
            }
        case .equals:
            return anyValue(l, node, equals: predicate.literal)
        case .notEquals:
            return !anyValue(l, node, equals: predicate.literal)
        }
    }

    func anyValue(_ l: CompiledXMLPath.Location, _ node: Int32, equals literal: Range<Int32>) -> Bool {
        visit(l.steps.lowerBound, l.steps.upperBound, node) { match in
            let range = l.attribute >= 0 ? tree.attributeRange(of: match, name: l.attribute) : tree.textRange(of: match)
            guard let range, range.count == literal.count else { return false }
            var i = Int(literal.lowerBound)
            for b in range {
                if tree.bytes[b] != literals[i] { return false }
                i += 1
            }
            return true
        }
    }
}
