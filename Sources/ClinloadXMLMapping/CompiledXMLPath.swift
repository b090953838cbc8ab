import ClinloadCore
import ClinloadDefinitions

/// An `XMLPath` with its names resolved to interned ids, ready to evaluate
/// against record trees. Compiled once per batch.
public struct CompiledXMLPath: Sendable {
    struct Step: Sendable {
        var isParent = false
        var name: Int32?            // nil = any element
        var anyDepth: Bool
        var predicates: [Predicate]
    }

    enum Predicate: Sendable {
        case position(Int)
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
                Step(isParent: step.isParent, name: try step.name.map { try resolve($0, isAttribute: false) }, anyDepth: step.anyDepth,
                     predicates: try step.predicates.map { p in
                         switch p {
                         case .position(let n): return .position(n)
                         case .equals(let l, let v): return .equals(try location(l), Array(v.utf8))
                         case .notEquals(let l, let v): return .notEquals(try location(l), Array(v.utf8))
                         case .exists(let l): return .exists(try location(l))
                         }
                     })
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
        for alternative in alternatives {
            if let range = Self.firstValue(alternative, tree, context), !range.isEmpty { return range }
        }
        return nil
    }

    /// Every element this path matches from `context` (for row groups); the
    /// first alternative that matches anything wins.
    public func elements(in tree: XMLRecordTree, from context: Int32) -> [Int32] {
        for alternative in alternatives where alternative.attribute == nil {
            let found = Self.elements(alternative.steps[...], tree, [context])
            if !found.isEmpty { return found }
        }
        return []
    }

    static func firstValue(_ location: Location, _ tree: XMLRecordTree, _ context: Int32) -> Range<Int>? {
        for node in elements(location.steps[...], tree, [context]) {
            if let attribute = location.attribute {
                if let range = tree.attributeRange(of: node, name: attribute) { return range }
            } else {
                let range = tree.textRange(of: node)
                if !range.isEmpty { return range }
            }
        }
        return nil
    }

    static func elements(_ steps: ArraySlice<Step>, _ tree: XMLRecordTree, _ contexts: [Int32]) -> [Int32] {
        guard let step = steps.first else { return contexts }
        var next: [Int32] = []
        for context in contexts {
            var matches: [Int32] = []
            if step.isParent {
                let parent = tree.nodes[Int(context)].parent
                if parent >= 0, !next.contains(parent) { matches.append(parent) }
            } else if step.anyDepth {
                collectDescendants(of: context, tree, step.name, into: &matches)
            } else {
                for child in tree.children(of: context) where step.name == nil || tree.nodes[Int(child)].name == step.name {
                    matches.append(child)
                }
            }
            for predicate in step.predicates {
                matches = apply(predicate, to: matches, tree)
            }
            next += matches
        }
        return next.isEmpty ? [] : elements(steps.dropFirst(), tree, next)
    }

    static func collectDescendants(of node: Int32, _ tree: XMLRecordTree, _ name: Int32?, into out: inout [Int32]) {
        for child in tree.children(of: node) {
            if name == nil || tree.nodes[Int(child)].name == name { out.append(child) }
            collectDescendants(of: child, tree, name, into: &out)
        }
    }

    static func apply(_ predicate: Predicate, to nodes: [Int32], _ tree: XMLRecordTree) -> [Int32] {
        switch predicate {
        case .position(let n):
            return n <= nodes.count ? [nodes[n - 1]] : []
        case .exists(let location):
            return nodes.filter {
                location.attribute == nil ? !elements(location.steps[...], tree, [$0]).isEmpty : hasAttribute(location, tree, $0)
            }
        case .equals(let location, let literal):
            return nodes.filter { anyValue(location, tree, $0, equals: literal) }
        case .notEquals(let location, let literal):
            return nodes.filter { !anyValue(location, tree, $0, equals: literal) }
        }
    }

    static func hasAttribute(_ location: Location, _ tree: XMLRecordTree, _ node: Int32) -> Bool {
        guard let attribute = location.attribute else { return false }
        return elements(location.steps[...], tree, [node]).contains { tree.attributeRange(of: $0, name: attribute) != nil }
    }

    static func anyValue(_ location: Location, _ tree: XMLRecordTree, _ node: Int32, equals literal: [UInt8]) -> Bool {
        for match in elements(location.steps[...], tree, [node]) {
            let range = location.attribute.map { tree.attributeRange(of: match, name: $0) } ?? tree.textRange(of: match)
            if let range, tree.equals(range, literal) { return true }
        }
        return false
    }
}
