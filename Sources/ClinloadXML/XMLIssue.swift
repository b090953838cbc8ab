/// One schema-validity problem of an XML document, safe to log and to store.
///
/// It never holds libxml2's message text, which quotes the offending value
/// ("'1970-13-45' is not a valid value..."): only where (line, element,
/// attribute) and which rule.
public struct XMLIssue: Sendable, Equatable, CustomStringConvertible {
    public var line: Int
    /// libxml2's `xmlParserErrors` value (e.g. 1839 for a pattern facet).
    public var code: Int
    /// "xsd_pattern", "xsd_length", "xsd_enumeration", "xsd_range", "xsd_digits",
    /// "xsd_datatype", "xsd_unexpected_element", "xsd_missing_element",
    /// "xsd_no_declaration", "xsd_attribute", "xsd_content", "xsd_element",
    /// "xsd_identity", "xsd_wildcard"; otherwise "xsd_<code>".
    public var rule: String
    /// Local name of the element concerned, when libxml2 names it.
    public var element: String?
    /// Local name of the attribute concerned, for an attribute's value.
    public var attribute: String?

    public init(line: Int, code: Int, rule: String, element: String? = nil, attribute: String? = nil) {
        self.line = line
        self.code = code
        self.rule = rule
        self.element = element
        self.attribute = attribute
    }

    public var description: String {
        var parts = ["line \(line)", "rule \(rule)", "code \(code)"]
        if let element { parts.append("element \(element)") }
        if let attribute { parts.append("attribute \(attribute)") }
        return parts.joined(separator: ", ")
    }
}
