/// swiftrace's version: `-V`, `--info`, and what artefacts and cache entries record of their maker.
public let swiftraceVersion = "0.1.0"
