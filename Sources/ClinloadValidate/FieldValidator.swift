import ClinloadCore
import ClinloadDefinitions

/// The checks of one schema field, compiled once per batch and run on every value.
public final class FieldValidator {
    public let field: TableSchema.Field
    private let missingValues: [[UInt8]]
    private let pattern: PosixPattern?
    private let enumValues: [[UInt8]]?

    public init(_ field: TableSchema.Field, missingValues: [String]) throws {
        self.field = field
        self.missingValues = missingValues.map { Array($0.utf8) }
        pattern = try field.constraints.pattern.map(PosixPattern.init)
        enumValues = field.constraints.enum?.map { Array($0.utf8) }
    }

    /// Whether the value is one of the schema's "no value" markers.
    @inline(__always)
    public func isMissing(_ v: UnsafeBufferPointer<UInt8>) -> Bool {
        for m in missingValues where m.count == v.count {
            if m.withUnsafeBufferPointer({ $0.elementsEqual(v) }) { return true }
        }
        return false
    }

    /// The first rule the value breaks, or nil if it is acceptable.
    public func violation(_ v: UnsafeBufferPointer<UInt8>) -> String? {
        if isMissing(v) { return field.constraints.required ? "required" : nil }
        if let rule = typeViolation(v) { return rule }
        let c = field.constraints
        if c.minLength != nil || c.maxLength != nil {
            let length = ValueSyntax.scalarCount(v)
            if let min = c.minLength, length < min { return "min_length" }
            if let max = c.maxLength, length > max { return "max_length" }
        }
        if let enumValues, !enumValues.contains(where: { $0.withUnsafeBufferPointer { $0.elementsEqual(v) } }) {
            return "enum"
        }
        if let pattern, !pattern.matches(v) { return "pattern" }
        if c.minimum != nil || c.maximum != nil, let n = numericValue(v) {
            if let min = c.minimum, n < min { return "minimum" }
            if let max = c.maximum, n > max { return "maximum" }
        }
        return nil
    }

    private func typeViolation(_ v: UnsafeBufferPointer<UInt8>) -> String? {
        switch field.type {
        case .string:
            switch field.format {
            case "uuid": return ValueSyntax.uuid(v) ? nil : "format"
            case "email": return ValueSyntax.email(v) ? nil : "format"
            default: return nil
            }
        case .integer: return ValueSyntax.integer(v) == nil ? "type" : nil
        case .number: return ValueSyntax.number(v) == nil ? "type" : nil
        case .boolean: return ValueSyntax.boolean(v) ? nil : "type"
        case .date: return ValueSyntax.date(v) ? nil : "type"
        case .datetime: return ValueSyntax.datetime(v) ? nil : "type"
        case .year: return ValueSyntax.year(v) == nil ? "type" : nil
        }
    }

    private func numericValue(_ v: UnsafeBufferPointer<UInt8>) -> Double? {
        switch field.type {
        case .integer: return ValueSyntax.integer(v).map(Double.init)
        case .number: return ValueSyntax.number(v)
        case .year: return ValueSyntax.year(v).map(Double.init)
        default: return nil
        }
    }
}
