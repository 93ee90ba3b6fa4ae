/// A compiled program (an artefact, a cached object) keeps the settings it was built with; a run
/// brings its own command line and environment. Which wins is each setting's stage
/// (`ConfigKey.stage`): the run's value for what only the run uses, the build's for what is in
/// the object, and a run that asks for another value of the latter is refused rather than run
/// with a value it did not ask for.
extension Configuration {
  /// This run's configuration (its command line and environment) over BUILT's: what the session
  /// of a program compiled with BUILT (reading its positional parameters as PARAMETERS says) uses.
  /// Throws when this run sets something BUILT compiled in to another value, naming it.
  public func forRun(builtWith built: Configuration, parameters: ParameterLayout) throws(ConfigurationError) -> Configuration {
    var result = built
    for key in ConfigKey.allCases where setByEnvironment.contains(key) {
      switch key.stage {
      case .run:
        result.copy(key, from: self)
      case .build:
        // Keys without a value of their own here (btf, vmlinux) matter to the build alone.
        guard let asked = setting(key, newerSyntax: false), let compiled = built.setting(key, newerSyntax: false),
          asked != compiled else { continue }
        throw ConfigurationError("the environment sets \(key.rawValue) to \(asked), but the program was compiled with \(compiled), which is part of it: compile it again with the new value")
      }
    }
    // What the command line gives at run time.
    result.format = format
    result.buffering = buffering
    result.quiet = quiet
    result.verbose = verbose
    result.showsWarnings = showsWarnings
    result.childCommand = childCommand
    // Parameters read as values are the run's; those the compiler used must be the same.
    if let why = parameters.check(positionalParameters, builtWith: built.positionalParameters) {
      throw ConfigurationError(why)
    }
    result.positionalParameters = positionalParameters
    // Compiled into the object (code and constants), for now: the same values or a refusal.
    if programOptions != built.programOptions {
      throw ConfigurationError("the program was compiled with the program options \(Self.quoted(built.programOptions.map(\.text))), not \(Self.quoted(programOptions.map(\.text))); compile it again with these")
    }
    if targetPID != built.targetPID {
      throw ConfigurationError("the program was compiled \(built.targetPID.map { "for -p \($0)" } ?? "without -p"), and its probes filter on that; compile it again \(targetPID.map { "with -p \($0)" } ?? "without -p")")
    }
    return result
  }

  private static func quoted(_ values: [String]) -> String {
    values.isEmpty ? "(none)" : values.map { "'\($0)'" }.joined(separator: " ")
  }

  /// KEY's value as OTHER holds it.
  private mutating func copy(_ key: ConfigKey, from other: Configuration) {
    switch key {
    case .maxStrlen: maxStrlen = other.maxStrlen
    case .maxMapKeys: maxMapKeys = other.maxMapKeys
    case .maxCatBytes: maxCatBytes = other.maxCatBytes
    case .maxProbes: maxProbes = other.maxProbes
    case .maxBpfProgs: maxBpfProgs = other.maxBpfProgs
    case .perfRbPages: perfRbPages = other.perfRbPages
    case .cppDemangle: cppDemangle = other.cppDemangle
    case .missingProbes: missingProbes = other.missingProbes
    case .userSymbols: userSymbols = other.userSymbols
    case .printMapsOnExit: printMapsOnExit = other.printMapsOnExit
    case .stackMode: stackMode = other.stackMode
    case .license: license = other.license
    case .logSize: logSize = other.logSize
    case .onStackLimit: onStackLimit = other.onStackLimit
    case .strTruncTrailer: strTruncTrailer = other.strTruncTrailer
    case .showDebugInfo: showDebugInfo = other.showDebugInfo
    case .color: color = other.color
    case .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack:
      unstableFeatures[key] = other.unstableFeatures[key]
    case .btf, .vmlinux, .cacheUserSymbols, .lazySymbolication:
      break  // no value of their own
    }
  }
}

extension ProgramOptionArgument {
  /// As written after `--`.
  public var text: String { "--" + name + (value.map { "=" + $0 } ?? "") }
}

extension Configuration.Setting: CustomStringConvertible {
  public var description: String {
    switch self {
    case .flag(let on): return on ? "true" : "false"
    case .number(let n): return String(n)
    case .text(let text): return "'\(text)'"
    }
  }
}
