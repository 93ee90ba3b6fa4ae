import Glibc

/// A setting the user can change, declared once: its key (bpftrace's name, which config blocks
/// use), the BPFTRACE_* variable that sets it, what it takes and what it means. The environment
/// writes a `Configuration` through these declarations, `--help` lists them, and every stage reads
/// the value, so a new key is one case here and one property of `Configuration`.
public enum ConfigKey: String, Codable, CaseIterable, Sendable {
  case maxStrlen = "max_strlen"
  case maxMapKeys = "max_map_keys"
  case maxCatBytes = "max_cat_bytes"
  case maxProbes = "max_probes"
  case maxBpfProgs = "max_bpf_progs"
  case perfRbPages = "perf_rb_pages"
  case cppDemangle = "cpp_demangle"
  case missingProbes = "missing_probes"
  case userSymbols = "user_symbols"
  case btf
  case cacheUserSymbols = "cache_user_symbols"
  case vmlinux
  // bpftrace 0.18 and later
  case printMapsOnExit = "print_maps_on_exit"
  case stackMode = "stack_mode"
  case license
  case lazySymbolication = "lazy_symbolication"
  case logSize = "log_size"
  case onStackLimit = "on_stack_limit"
  case strTruncTrailer = "str_trunc_trailer"
  case showDebugInfo = "show_debug_info"
  case color
  /// Newer bpftrace's switches for its unstable features: error, warn or enable.
  case unstableTseries = "unstable_tseries"
  case unstableTypeinfo = "unstable_typeinfo"
  case unstableImportStatement = "unstable_import_statement"
  case unstableDwUstack = "unstable_dw_ustack"

  /// The key as a config block (bpftrace 0.18 and later) spells it; nil for a setting only the
  /// environment gives (bpftrace's BTF, VMLINUX and the like).
  public var configName: String? {
    switch self {
    case .maxStrlen, .maxMapKeys, .maxCatBytes, .maxProbes, .maxBpfProgs, .perfRbPages, .cppDemangle, .cacheUserSymbols,
      .missingProbes, .printMapsOnExit, .stackMode, .license, .lazySymbolication, .logSize, .onStackLimit,
      .strTruncTrailer, .showDebugInfo, .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack:
      return rawValue
    case .userSymbols, .btf, .vmlinux, .color:
      return nil
    }
  }

  /// The key a config block names: its name (`max_strlen`), upper-cased (`MAX_STRLEN`), with the
  /// BPFTRACE_ prefix (`BPFTRACE_MAX_STRLEN`), or its environment variable (`BPFTRACE_STRLEN`), as
  /// bpftrace takes them. Keys only the environment sets are found too, to say so.
  public static func named(_ spelling: String) -> ConfigKey? {
    let lower = spelling.lowercased()
    let bare = lower.hasPrefix("bpftrace_") ? String(lower.dropFirst("bpftrace_".count)) : lower
    return allCases.first { $0.rawValue == bare || $0.environmentVariable == spelling.uppercased() }
  }

  /// What a key takes.
  public enum Value: Sendable {
    case number(ClosedRange<Int>)
    /// 0 or 1 in the environment.
    case flag
    /// A file that must be readable.
    case path
    /// One of these words.
    case choice([String])
    /// Any text, the empty text included.
    case text
  }

  public var value: Value {
    switch self {
    case .maxStrlen: return .number(1...(1 << 16))
    case .maxMapKeys, .maxCatBytes: return .number(1...(1 << 30))
    case .maxProbes, .maxBpfProgs, .perfRbPages: return .number(1...(1 << 20))
    case .cppDemangle, .userSymbols, .cacheUserSymbols: return .flag
    case .btf, .vmlinux: return .path
    case .missingProbes: return .choice(MissingProbes.allCases.map(\.rawValue))
    case .printMapsOnExit, .lazySymbolication, .showDebugInfo: return .flag
    case .stackMode: return .choice(["bpftrace", "perf", "raw", "build_id"])
    case .license: return .choice(Self.licenses)
    case .logSize: return .number(1...(1 << 30))
    case .onStackLimit: return .number(0...512)
    case .color: return .choice(["auto", "always", "never"])
    case .strTruncTrailer: return .text
    case .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack: return .choice(Self.unstableChoices)
    }
  }

  /// What an unstable feature's switch takes (newer bpftrace's words).
  public static let unstableChoices = ["error", "warn", "enable"]

  /// Keys newer bpftrace no longer has but still accepts, with a warning that they do nothing:
  /// scripts written for the versions that had them set them (`unstable_macro = 1`).
  public static let retiredNames: Set<String> = [
    "symbol_source", "max_type_res_iterations", "unstable_addr", "unstable_import", "unstable_macro", "unstable_map_decl",
  ]

  /// The licenses the kernel takes as GPL-compatible, which bpftrace accepts.
  public static let licenses = ["GPL", "GPL v2", "GPL and additional rights", "Dual BSD/GPL", "Dual MIT/GPL", "Dual MPL/GPL"]

  /// The environment variable, as bpftrace 0.17 spells it (newer bpftrace renamed some keys and
  /// kept these names).
  public var environmentVariable: String {
    switch self {
    case .maxStrlen: return "BPFTRACE_STRLEN"
    case .maxMapKeys: return "BPFTRACE_MAP_KEYS_MAX"
    case .maxCatBytes: return "BPFTRACE_CAT_BYTES_MAX"
    case .cppDemangle: return "BPFTRACE_NO_CPP_DEMANGLE"
    case .userSymbols: return "BPFTRACE_NO_USER_SYMBOLS"
    case .maxProbes, .maxBpfProgs, .perfRbPages, .cacheUserSymbols, .btf, .vmlinux, .missingProbes, .printMapsOnExit,
      .stackMode, .license, .lazySymbolication, .logSize, .onStackLimit, .strTruncTrailer, .showDebugInfo, .color,
      .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack:
      return "BPFTRACE_" + rawValue.uppercased()
    }
  }

  /// The variable newer bpftrace reads for the key (BPFTRACE_ and the key's name), where it is not
  /// 0.17's: BPFTRACE_MAX_STRLEN, BPFTRACE_CPP_DEMANGLE... It never negates.
  public var newerEnvironmentVariable: String? {
    guard let name = configName else { return nil }
    let variable = "BPFTRACE_" + name.uppercased()
    return variable == environmentVariable ? nil : variable
  }

  /// The variable says the opposite of the key: BPFTRACE_NO_CPP_DEMANGLE=1 is cpp_demangle off.
  public var environmentNegates: Bool {
    switch self {
    case .cppDemangle, .userSymbols: return true
    case .maxStrlen, .maxMapKeys, .maxCatBytes, .maxProbes, .maxBpfProgs, .perfRbPages, .cacheUserSymbols, .btf,
      .vmlinux, .missingProbes, .printMapsOnExit, .stackMode, .license, .lazySymbolication, .logSize, .onStackLimit,
      .strTruncTrailer, .showDebugInfo, .color, .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack:
      return false
    }
  }

  /// What a number counts, for errors.
  var unit: String {
    switch self {
    case .maxStrlen: return "bytes of str() and buf()"
    case .maxMapKeys: return "entries per map"
    case .maxCatBytes: return "bytes cat() prints"
    case .maxProbes: return "attach points"
    case .maxBpfProgs: return "BPF programs"
    case .perfRbPages: return "buffer pages per CPU"
    case .logSize: return "bytes of verifier log"
    case .onStackLimit: return "bytes of one value on the BPF stack"
    case .cppDemangle, .userSymbols, .cacheUserSymbols, .btf, .vmlinux, .missingProbes, .printMapsOnExit, .stackMode,
      .license, .lazySymbolication, .strTruncTrailer, .showDebugInfo, .color, .unstableTseries, .unstableTypeinfo,
      .unstableImportStatement, .unstableDwUstack:
      return ""
    }
  }

  /// When a setting takes effect: in the compiled object (an artefact or a cached object keeps the
  /// value it was built with), or in the run (set anew each time, also for an artefact).
  public enum Stage: Sendable { case build, run }

  public var stage: Stage {
    switch self {
    // cpp_demangle also names uprobes' `func` when compiling.
    case .maxStrlen, .maxMapKeys, .maxProbes, .maxBpfProgs, .perfRbPages, .missingProbes, .btf, .vmlinux, .stackMode,
      .license, .onStackLimit, .strTruncTrailer, .unstableTseries, .unstableTypeinfo, .unstableImportStatement,
      .unstableDwUstack, .cppDemangle:
      return .build
    case .maxCatBytes, .userSymbols, .cacheUserSymbols, .printMapsOnExit, .lazySymbolication, .logSize,
      .showDebugInfo, .color:
      return .run
    }
  }

  /// The default and meaning, as `--help` lists them under ENVIRONMENT.
  public var help: String {
    switch self {
    case .maxStrlen: return "[default: 64] bytes of str(), buf() (0.17 allowed 200 at most; no limit now)"
    case .maxMapKeys: return "[default: 4096] entries per map"
    case .maxCatBytes: return "[default: 10k] bytes cat() prints"
    case .maxProbes: return "[default: 512] attach points after wildcards"
    case .maxBpfProgs: return "[default: 512] programs, counted one per attach point"
    case .perfRbPages: return "[default: 1 MiB in all] ring buffer pages per CPU"
    case .cppDemangle: return "[default: 0] keep C++ names mangled"
    case .userSymbols: return "[default: 0] print user addresses, not symbols"
    case .missingProbes: return "[default: as 0.17] error, warn (skip) or ignore"
    case .btf: return "[default: /sys/kernel/btf/vmlinux] kernel types"
    case .cacheUserSymbols: return "accepted; user symbols are found by build id and always cached"
    case .vmlinux: return "accepted; kernel symbols come from /proc/kallsyms and BTF"
    case .printMapsOnExit: return "[default: 1] print every map when the trace ends"
    case .stackMode: return "[default: bpftrace] how kstack and ustack print: bpftrace, perf, raw or build_id"
    case .license: return "[default: GPL] the programs' license (GPL-compatible ones only)"
    case .lazySymbolication: return "accepted; symbols are always resolved when printed"
    case .logSize: return "accepted; the verifier log grows as its output needs"
    case .onStackLimit: return "[default: no limit] larger values go to per-CPU map memory, not the stack"
    case .showDebugInfo: return "[default: 0] user stack frames end with @FILE:LINE from DWARF line tables"
    case .strTruncTrailer: return "[default: .. with newer syntax] added to strings str() cut at max_strlen"
    case .color: return "[default: auto] colored messages: auto (on a terminal), always or never"
    case .unstableTseries: return "[default: enable] tseries() is stable here; error refuses it"
    case .unstableTypeinfo: return "accepted; swiftrace has no typeinfo()"
    case .unstableImportStatement: return "accepted; imports are at the top of a script only"
    case .unstableDwUstack: return "accepted; swiftrace has no dw_ustack"
    }
  }

  /// The ENVIRONMENT section of `--help`, in declaration order.
  public static var environmentHelp: String {
    let width = allCases.map(\.environmentVariable.count).max()! + 1
    return allCases.map { key in
      let name = key.environmentVariable
      return "  " + name + String(repeating: " ", count: width - name.count) + key.help
    }.joined(separator: "\n")
  }
}

/// Everything that changes how a script is compiled, loaded and printed, in one value: the
/// settings of `ConfigKey` and the command-line options the stages read. The command line and the
/// environment write it once; the checker, code generation and the session take their options
/// from it.
public struct Configuration: Codable, Sendable {
  // Settings (ConfigKey)
  /// Bytes of str() and buf() (the BPF stack is 512 bytes).
  public var maxStrlen = 64
  /// Entries per map; nil for the default of code generation.
  public var maxMapKeys: Int?
  /// Bytes cat() prints; nil for the session's default.
  public var maxCatBytes: Int?
  /// Attach points, and programs (one each).
  public var maxProbes = 512
  public var maxBpfProgs = 512
  /// Buffer pages per CPU (the ring buffer's share, skboutput()'s perf buffers); nil for the default.
  public var perfRbPages: Int?
  /// False keeps C++ names mangled, in `func` and printed symbols alike.
  public var cppDemangle = true
  /// False prints user addresses, not symbols.
  public var userSymbols = true
  /// False: maps are not printed when the trace ends (print() still prints them).
  public var printMapsOnExit = true
  /// How kstack and ustack print when the call gives no mode.
  public var stackMode = "bpftrace"
  /// The license section of the object.
  public var license = "GPL"
  /// Values larger than this many bytes go to the function's slot of the scratch map instead
  /// of the stack; nil: only the stack budget decides.
  public var onStackLimit: Int?
  /// What follows a string str() cut at max_strlen; nil: unset, so 0.17's rule (nothing, and
  /// max_strlen counts the terminating NUL) unless the script uses newer syntax
  /// (`Configuration.truncationTrailer(newerSyntax:)`).
  public var strTruncTrailer: String?
  /// show_debug_info: user stack frames (bpftrace mode) end with `@file:line`.
  public var showDebugInfo = false
  /// BPFTRACE_COLOR: auto, always or never.
  public var color = "auto"
  /// The unstable features' switches a script or the environment set (error, warn, enable).
  public var unstableFeatures: [ConfigKey: String] = [:]
  /// What an attach point that names nothing here, or a probe that cannot attach, does. Unset,
  /// 0.17's rules: the first is skipped with a warning, the second is an error.
  public var missingProbes: MissingProbes?

  // Command-line options
  /// `$1`, `$2`, ...
  public var positionalParameters: [String] = []
  /// `--no-warnings`: warnings are not printed.
  public var showsWarnings = true
  /// `--probe-filter REGEX`: only probes whose name the expression finds a match in (BEGIN and
  /// END always run).
  public var probeFilter: String?
  /// `--name=value` and `--name` after `--`: what the program's getopt() calls read.
  public var programOptions: [ProgramOptionArgument] = []
  /// `-c COMMAND`: the program started and traced; `cpid` is its pid.
  public var childCommand: String?
  /// `-p PID`
  public var targetPID: Int32?
  /// `--unsafe`: system(), signal() and override() may be used.
  public var unsafe = false
  /// `-k` (1): failed map updates and deletes are reported; `-kk` (2): failed memory reads too.
  public var helperCheckLevel = 0
  /// `-I DIR` and `--include FILE` for C definitions.
  public var includeDirectories: [String] = []
  public var includeFiles: [String] = []
  public var format: OutputFormat = .text
  /// `-B MODE`; nil for the output's own default.
  public var buffering: OutputBuffering?
  /// `-q`
  public var quiet = false
  /// `-v`
  public var verbose = false

  /// The defaults of the settings left nil above (bpftrace's).
  public static let defaultMapKeys = 4096, defaultCatBytes = 10240, defaultPerfRbPages = 64, defaultLogSize = 1_000_000
  /// log_size, as set (the verifier log grows as its output needs; config() reports it).
  public var logSize: Int?

  /// The keys the environment set: a config block does not change them (bpftrace's rule).
  public private(set) var setByEnvironment: Set<ConfigKey> = []

  public init() {}

  /// Sets KEY from a config block's VALUE, unless the environment set it. The error says what the
  /// key takes.
  public mutating func set(_ key: ConfigKey, scriptValue value: ConfigValue) throws(ConfigurationError) {
    guard let name = key.configName else {
      throw ConfigurationError("\(key.rawValue) can only be set by the environment (\(key.environmentVariable))")
    }
    if setByEnvironment.contains(key) { return }
    switch (key.value, value) {
    case (.number(let range), .integer(let n)) where n <= UInt64(Int.max) && range.contains(Int(n)):
      store(key, number: Int(n))
    case (.number(let range), _):
      throw ConfigurationError("\(name) must be a number from \(range.lowerBound) to \(range.upperBound) (\(key.unit))")
    case (.flag, .integer(let n)) where n <= 1:
      store(key, flag: n == 1)
    case (.flag, .text(let text)) where ["true", "false"].contains(text.lowercased()):
      store(key, flag: text.lowercased() == "true")
    case (.flag, .text(let text)) where key == .cacheUserSymbols && ["per_program", "per_pid", "none"].contains(text.lowercased()):
      break  // user symbols are always cached, by build id
    case (.flag, _):
      throw ConfigurationError("\(name) must be true or false")
    case (.path, _):
      preconditionFailure("a path key has no config name")
    case (.choice(let words), .text(let text)) where words.contains(where: { $0.lowercased() == text.lowercased() }):
      store(key, choice: words.first { $0.lowercased() == text.lowercased() }!)
    case (.choice(let words), _):
      throw ConfigurationError("\(name) must be one of \(words.joined(separator: ", "))")
    case (.text, .text(let text)):
      store(key, text: text)
    case (.text, .integer(let n)):
      store(key, text: String(n))
    }
  }

  /// Sets KEY from TEXT, as the environment spells it (VARIABLE, 0.17's name unless given).
  public mutating func set(_ key: ConfigKey, environmentText text: String, variable: String? = nil) throws(ConfigurationError) {
    let variable = variable ?? key.environmentVariable
    let negates = key.environmentNegates && variable == key.environmentVariable
    switch key.value {
    case .number(let range):
      guard let n = Int(text.trimmingSpaces()), range.contains(n) else {
        throw ConfigurationError("\(variable) must be a number from \(range.lowerBound) to \(range.upperBound) (\(key.unit)), not '\(text)'")
      }
      store(key, number: n)
    case .flag:
      // 0.17 took 0 or 1; newer bpftrace also takes true and false.
      guard let on = ["0": false, "1": true, "false": false, "true": true][text.lowercased()] else {
        throw ConfigurationError("\(variable) must be 0 or 1, not '\(text)'")
      }
      store(key, flag: on != negates)
    case .path:
      guard !text.isEmpty else { return }
      guard access(text, R_OK) == 0 else { throw ConfigurationError("\(variable) names '\(text)', which cannot be read") }
    case .choice(let words):
      guard let word = words.first(where: { $0.lowercased() == text.lowercased() }) else {
        throw ConfigurationError("\(variable) must be one of \(words.joined(separator: ", ")), not '\(text)'")
      }
      store(key, choice: word)
    case .text:
      store(key, text: text)
    }
  }

  /// Reads every key's variable from ENVIRONMENT; the first value that is not valid is an error
  /// naming the variable, never a silent default.
  /// Newer bpftrace's names (BPFTRACE_MAX_STRLEN) are read after 0.17's, so they win.
  public mutating func read(environment: [String: String]) throws(ConfigurationError) {
    for key in ConfigKey.allCases {
      for variable in [key.environmentVariable, key.newerEnvironmentVariable].compactMap({ $0 }) {
        if let text = environment[variable] {
          try set(key, environmentText: text, variable: variable)
          setByEnvironment.insert(key)
        }
      }
    }
  }

  /// A setting's value as a script reads it (`config()`), defaults included; nil for the keys a
  /// config block cannot name (the environment's alone). NEWERSYNTAX: the script's generation,
  /// which decides str_trunc_trailer's default.
  public func setting(_ key: ConfigKey, newerSyntax: Bool) -> Setting? {
    switch key {
    case .maxStrlen: return .number(maxStrlen)
    case .maxMapKeys: return .number(maxMapKeys ?? Self.defaultMapKeys)
    case .maxCatBytes: return .number(maxCatBytes ?? Self.defaultCatBytes)
    case .maxProbes: return .number(maxProbes)
    case .maxBpfProgs: return .number(maxBpfProgs)
    case .perfRbPages: return .number(perfRbPages ?? Self.defaultPerfRbPages)
    case .cppDemangle: return .flag(cppDemangle)
    case .missingProbes: return .text((missingProbes ?? .warn).rawValue)
    case .cacheUserSymbols: return .text("PER_PROGRAM")
    case .printMapsOnExit: return .flag(printMapsOnExit)
    case .stackMode: return .text(stackMode)
    case .license: return .text(license)
    case .lazySymbolication: return .flag(true)  // symbols are resolved when printed
    case .logSize: return .number(logSize ?? Self.defaultLogSize)
    // Without a limit a value goes to map memory when it does not fit the 512-byte stack.
    case .onStackLimit: return .number(onStackLimit ?? 512)
    case .strTruncTrailer: return .text(truncationTrailer(newerSyntax: newerSyntax) ?? "")
    case .showDebugInfo: return .flag(showDebugInfo)
    case .unstableTseries: return .text(unstableFeatures[key] ?? "enable")
    // Newer bpftrace's defaults (swiftrace has none of these features).
    case .unstableTypeinfo, .unstableImportStatement: return .text(unstableFeatures[key] ?? "error")
    case .unstableDwUstack: return .text(unstableFeatures[key] ?? "warn")
    case .userSymbols, .btf, .vmlinux, .color: return nil
    }
  }

  /// A setting's value: `Configuration.setting(_:newerSyntax:)`.
  public enum Setting: Sendable, Equatable {
    case flag(Bool)
    case number(Int)
    case text(String)
  }

  /// The text added to a string str() cut at max_strlen, nil for none: the trailer the user set,
  /// else newer bpftrace's `..` for a script in its syntax (0.17 printed cut strings as they are).
  public func truncationTrailer(newerSyntax: Bool) -> String? {
    if let trailer = strTruncTrailer { return trailer }
    return newerSyntax ? ".." : nil
  }

  private mutating func store(_ key: ConfigKey, number n: Int) {
    switch key {
    case .maxStrlen: maxStrlen = n
    case .maxMapKeys: maxMapKeys = n
    case .maxCatBytes: maxCatBytes = n
    case .maxProbes: maxProbes = n
    case .maxBpfProgs: maxBpfProgs = n
    case .perfRbPages: perfRbPages = n
    case .logSize: logSize = n  // the verifier log grows as its output needs
    case .onStackLimit: onStackLimit = n
    case .cppDemangle, .userSymbols, .cacheUserSymbols, .btf, .vmlinux, .missingProbes, .printMapsOnExit, .stackMode,
      .license, .lazySymbolication, .strTruncTrailer, .showDebugInfo, .color, .unstableTseries, .unstableTypeinfo,
      .unstableImportStatement, .unstableDwUstack:
      preconditionFailure("\(key) is not a number")
    }
  }

  private mutating func store(_ key: ConfigKey, choice: String) {
    switch key {
    case .missingProbes: missingProbes = MissingProbes(rawValue: choice)
    case .stackMode: stackMode = choice
    case .license: license = choice
    case .color: color = choice
    case .unstableTseries, .unstableTypeinfo, .unstableImportStatement, .unstableDwUstack: unstableFeatures[key] = choice
    case .maxStrlen, .maxMapKeys, .maxCatBytes, .maxProbes, .maxBpfProgs, .perfRbPages, .cppDemangle, .userSymbols,
      .cacheUserSymbols, .btf, .vmlinux, .printMapsOnExit, .lazySymbolication, .logSize, .onStackLimit,
      .strTruncTrailer, .showDebugInfo:
      preconditionFailure("\(key) is not a choice")
    }
  }

  private mutating func store(_ key: ConfigKey, text: String) {
    switch key {
    case .strTruncTrailer: strTruncTrailer = text
    case .maxStrlen, .maxMapKeys, .maxCatBytes, .maxProbes, .maxBpfProgs, .perfRbPages, .cppDemangle, .userSymbols,
      .cacheUserSymbols, .btf, .vmlinux, .missingProbes, .printMapsOnExit, .stackMode, .license, .lazySymbolication,
      .logSize, .onStackLimit, .showDebugInfo, .color, .unstableTseries, .unstableTypeinfo, .unstableImportStatement,
      .unstableDwUstack:
      preconditionFailure("\(key) is not text")
    }
  }

  private mutating func store(_ key: ConfigKey, flag: Bool) {
    switch key {
    case .cppDemangle: cppDemangle = flag
    case .userSymbols: userSymbols = flag
    case .cacheUserSymbols: break  // user symbols are always cached, by build id
    case .printMapsOnExit: printMapsOnExit = flag
    case .lazySymbolication: break  // symbols are always resolved when printed
    case .showDebugInfo: showDebugInfo = flag
    case .maxStrlen, .maxMapKeys, .maxCatBytes, .maxProbes, .maxBpfProgs, .perfRbPages, .btf, .vmlinux, .missingProbes,
      .stackMode, .license, .logSize, .onStackLimit, .strTruncTrailer, .color, .unstableTseries, .unstableTypeinfo,
      .unstableImportStatement, .unstableDwUstack:
      preconditionFailure("\(key) is not a flag")
    }
  }
}

/// How results are printed: `-f text` or `-f json`. Each format's records are in the runtime.
public enum OutputFormat: String, Codable, CaseIterable, Sendable {
  case text, json
}

public struct ConfigurationError: Error, CustomStringConvertible {
  public let description: String
  public init(_ description: String) { self.description = description }
}

/// A value a config block gives: a number, or text (a word such as `perf` or `true`, or a string).
public enum ConfigValue: Sendable, Equatable {
  case integer(UInt64)
  case text(String)
}

/// `missing_probes`: what an attach point that names nothing here does.
public enum MissingProbes: String, Codable, CaseIterable, Sendable {
  /// An error.
  case error
  /// A warning; the probe is skipped (an error when nothing is left to attach).
  case warn
  /// Skipped without a word (an error when nothing is left to attach).
  case ignore
}

/// `--name=value` (or `--name`, value nil) given after `--` for the program's getopt().
public struct ProgramOptionArgument: Codable, Sendable, Equatable {
  public let name: String
  public let value: String?
  public init(name: String, value: String?) {
    self.name = name
    self.value = value
  }

  /// `--name=value` or `--name`; nil for anything else (a positional parameter).
  public init?(argument: String) {
    guard argument.hasPrefix("--"), argument.count > 2 else { return nil }
    let body = argument.dropFirst(2)
    if let equals = body.firstIndex(of: "=") {
      self.init(name: String(body[..<equals]), value: String(body[body.index(after: equals)...]))
    } else {
      self.init(name: String(body), value: nil)
    }
  }
}
