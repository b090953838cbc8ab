// De-identification for research extracts: Safe Harbor and Limited Data Set rules, free-text scrubbing, the release gate.
