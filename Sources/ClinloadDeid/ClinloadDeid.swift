// De-identification for research extracts: Safe Harbor and Limited Data Set rules
// (DeidPolicy and the rules it applies; docs/DEID.md), free-text scrubbing, the release gate.
