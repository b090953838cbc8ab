import ClinloadCore
import ClinloadDefinitions

/// An `XMLPath` with its names resolved to interned ids, ready to evaluate
/// against record trees. Compiled once per batch.
public struct CompiledXMLPath: Sendable {
    struct Step: Sendable {
        var isParent = false
        var name: Int32?            // nil = any element
        var anyDepth: Bool
        /// Predicates before `[n]` (they decide what is counted)...
        var predicates: [Predicate]
        /// ...the position, if any (at most one per step)...
        var position: Int?
        /// ...and predicates after it (they test the n-th match only).
        var after: [Predicate] = []
    }

    enum Predicate: Sendable {
        case equals(Location, [UInt8])
        case notEquals(Location, [UInt8])
        case exists(Location)
    }

    struct Location: Sendable {
        var steps: [Step]
        var attribute: Int32?
    }

    let alternatives: [Location]
    public let text: String

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
        func location(_ l: XMLPath.Location) throws -> Location {
            try Location(steps: l.steps.map { step in
                let split = step.predicates.firstIndex { if case .position = $0 { true } else { false } } ?? step.predicates.count
                func compile(_ predicates: ArraySlice<XMLPath.Predicate>) throws -> [Predicate] {
                    try predicates.compactMap { p in
                        switch p {
                        case .position: return nil
                        case .equals(let l, let v): return .equals(try location(l), Array(v.utf8))
                        case .notEquals(let l, let v): return .notEquals(try location(l), Array(v.utf8))
                        case .exists(let l): return .exists(try location(l))
                        }
                    }
                }
                var position: Int?
                if split < step.predicates.count, case .position(let n) = step.predicates[split] { position = n }
                return Step(isParent: step.isParent, name: try step.name.map { try resolve($0, isAttribute: false) },
                            anyDepth: step.anyDepth, predicates: try compile(step.predicates[..<split]), position: position,
                            after: try compile(step.predicates[min(split + 1, step.predicates.count)...]))
            }, attribute: try l.attribute.map { try resolve($0, isAttribute: true) })
        }
        alternatives = try path.alternatives.map(location)
        text = path.description
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
        for alternative in alternatives {
            if let range = Self.firstValue(alternative, tree, context), !range.isEmpty { return range }
        }
        return nil
    }

    /// Every element this path matches from `context` (for row groups); the
    /// first alternative that matches anything wins.
    public func elements(in tree: XMLRecordTree, from context: Int32) -> [Int32] {
        tree.withView { elements(in: $0, from: context) }
    }

    public func elements(in tree: XMLTreeView, from context: Int32) -> [Int32] {
        for alternative in alternatives where alternative.attribute == nil {
            var found: [Int32] = []
            // A parent step reaches the same element from each of its children:
            // each element is one row, once.
            var seen = Set<Int32>()
            _ = Self.visit(alternative.steps[...], tree, context) { node in
                if seen.insert(node).inserted { found.append(node) }
                return false
            }
            if !found.isEmpty { return found }
        }
        return []
    }

    static func firstValue(_ location: Location, _ tree: XMLTreeView, _ context: Int32) -> Range<Int>? {
        var found: Range<Int>?
        _ = visit(location.steps[...], tree, context) { node in
            if let attribute = location.attribute {
                found = tree.attributeRange(of: node, name: attribute)
                return found != nil
            }
            let range = tree.textRange(of: node)
            if range.isEmpty { return false }
            found = range
            return true
        }
        return found
    }

    /// Calls `body` on each match of `steps` from `context` in document order,
    /// until it returns true (then returns true). Allocates nothing and touches
    /// no reference count: this runs for every field of every record.
    static func visit(_ steps: ArraySlice<Step>, _ tree: XMLTreeView, _ context: Int32, _ body: (Int32) -> Bool) -> Bool {
        guard let step = steps.first else { return body(context) }
        let rest = steps.dropFirst()
        if step.isParent {
            let parent = tree.nodes[Int(context)].parent
            return parent >= 0 && visit(rest, tree, parent, body)
        }
        var position = 0
        return scan(step, rest, tree, context, &position, body) == .stop
    }

    enum Scan { case more, exhausted, stop }

    /// Children (or, for `**`, descendants in document order) of `node` that
    /// match `step`, each continued with `rest`.
    static func scan(
        _ step: Step, _ rest: ArraySlice<Step>, _ tree: XMLTreeView, _ node: Int32, _ position: inout Int, _ body: (Int32) -> Bool
    ) -> Scan {
        var child = tree.nodes[Int(node)].firstChild
        while child >= 0 {
            if step.name == nil || tree.nodes[Int(child)].name == step.name, holdsAll(step.predicates, tree, child) {
                position += 1
                let wanted = step.position
                if wanted == nil || position == wanted, holdsAll(step.after, tree, child), visit(rest, tree, child, body) { return .stop }
                // `[n]` has been met: nothing later can match this step.
                if let wanted, position >= wanted { return .exhausted }
            }
            if step.anyDepth {
                let inner = scan(step, rest, tree, child, &position, body)
                if inner != .more { return inner }
            }
            child = tree.nodes[Int(child)].nextSibling
        }
        return .more
    }

    static func holdsAll(_ predicates: [Predicate], _ tree: XMLTreeView, _ node: Int32) -> Bool {
        for predicate in predicates where !holds(predicate, tree, node) { return false }
        return true
    }

    static func holds(_ predicate: Predicate, _ tree: XMLTreeView, _ node: Int32) -> Bool {
        switch predicate {
        case .exists(let location):
            return visit(location.steps[...], tree, node) { match in
                location.attribute.map { tree.attributeRange(of: match, name: $0) != nil } ?? true
            }
        case .equals(let location, let literal):
            return anyValue(location, tree, node, equals: literal)
        case .notEquals(let location, let literal):
            return !anyValue(location, tree, node, equals: literal)
        }
    }

    static func anyValue(_ location: Location, _ tree: XMLTreeView, _ node: Int32, equals literal: [UInt8]) -> Bool {
        visit(location.steps[...], tree, node) { match in
            let range = location.attribute.map { tree.attributeRange(of: match, name: $0) } ?? tree.textRange(of: match)
            return range.map { tree.equals($0, literal) } ?? false
        }
    }
}
