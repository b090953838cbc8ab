import ClinloadCore

/// `${VAR}` and `${VAR:default}` in deployment values of a pipeline (schema
/// locations): a site points a pipeline at its own copy of a schema without
/// editing the file. Secrets never belong in pipeline files, so only paths use it.
public enum EnvironmentInterpolation {
    public static func expand(_ text: String, environment: [String: String]) throws -> String {
        var out = ""
        var rest = Substring(text)
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ClinloadError(.pipelineInvalid, stage: .configuration, "an unterminated ${...} in a path",
                                    location: .init(rule: "interpolation"))
            }
            let body = rest[start.upperBound..<end]
            let name: Substring
            let fallback: Substring?
            if let colon = body.firstIndex(of: ":") {
                name = body[..<colon]
                fallback = body[body.index(after: colon)...]
            } else {
                name = body
                fallback = nil
            }
            if let value = environment[String(name)], !value.isEmpty {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                throw ClinloadError(.pipelineInvalid, stage: .configuration,
                                    "the pipeline names a site-specific location: set this environment variable",
                                    location: .init(field: String(name), rule: "environment_variable_unset"))
            }
            rest = rest[rest.index(after: end)...]
        }
        return out + rest
    }
}
