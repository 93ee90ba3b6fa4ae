import Glibc
import SwiftraceBasics
import SwiftraceSyntax

/// x86-64 `struct pt_regs`, in order: each register is 8 bytes at 8 times its index. `reg(name)`,
/// USDT operands, function arguments, `retval`, `func` and `ustack`'s stack pointer all read it
/// through here.
public enum Registers {
  public static let names = ["r15", "r14", "r13", "r12", "bp", "bx", "r11", "r10", "r9", "r8", "ax", "cx", "dx",
                             "si", "di", "orig_ax", "ip", "cs", "flags", "sp", "ss"]

  /// The offset of a register by its `pt_regs` name (`di`, `r8`).
  public static func offset(of name: String) -> Int? { names.firstIndex(of: name).map { 8 * $0 } }

  /// The System V ABI's six integer argument registers, in order.
  public static let argumentOffsets = ["di", "si", "dx", "cx", "r8", "r9"].map { offset(of: $0)! }
  public static let returnValueOffset = offset(of: "ax")!
  public static let stackPointerOffset = offset(of: "sp")!
  public static let instructionPointerOffset = offset(of: "ip")!
  /// The code segment: its low two bits are the privilege level (3 in user mode).
  public static let codeSegmentOffset = offset(of: "cs")!
}

/// time, strftime, ksym, usym, kaddr, ntop, bswap, strerror, kstack and ustack: values that BPF
/// keeps as numbers and userspace prints as text (see `SymbolKind`).
extension TypeChecker {
  func checkSymbolFunction(_ f: Function, _ own: OwnCheck, args: [Expr], _ e: Expr, asStatement: Bool) -> SType? {
    func arity(_ allowed: ClosedRange<Int>) -> Bool { checkArity(f, allowed, args: args, e) }
    func integerArgument(_ arg: Expr) -> SType? {
      guard let t = check(arg) else { return nil }
      guard t.isIntegerLike else {
        error(.expectsInteger(f, not: t), at: arg.range)
        return nil
      }
      return t
    }
    switch own {
    case .time:
      guard arity(0...1) else { return nil }
      var format = "%H:%M:%S\n"
      if let arg = args.first {
        guard let text = stringLiteral(arg, of: f) else { return nil }
        format = text
      }
      registerAction(.time(format: format), for: e)
      return SType.none
    case .join:
      guard arity(1...2), integerArgument(args[0]) != nil else { return nil }
      var separator = " "
      if args.count == 2 {
        guard let text = stringLiteral(args[1], of: f) else { return nil }
        separator = text
      }
      registerAction(.join(separator: separator, elementSize: options.stringLength), for: e)
      return SType.none
    case .strftime:
      guard arity(2...2), let format = stringLiteral(args[0], of: f), integerArgument(args[1]) != nil else { return nil }
      return .symbol(.timestamp(format: format))
    case .usym:
      guard arity(1...1), integerArgument(args[0]) != nil else { return nil }
      usesUserSymbols = true
      return .symbol(.userSymbol)
    case .bswap:
      guard arity(1...1), let t = integerArgument(args[0]) else { return nil }
      return t.isPointer ? .uint64 : t
    case .kaddr:
      guard arity(1...1), let name = stringLiteral(args[0], of: f) else { return nil }
      guard let address = options.machine.kernelSymbolAddress(name) else {
        error(.unknownKernelSymbol(name), at: args[0].range)
        return nil
      }
      constants[e.id] = address
      return .uint64
    case .reg:
      guard arity(1...1), let name = stringLiteral(args[0], of: f) else { return nil }
      guard current.kind.hasRegisters else {
        error(.noRegisters(in: current.kind.name), at: e.range)
        return nil
      }
      guard let index = Registers.names.firstIndex(of: name) else {
        let hint = closestName(to: name, in: Registers.names).map { "; did you mean '\($0)'?" } ?? ""
        error(.unknownRegister(name, hint: hint), at: args[0].range)
        return nil
      }
      constants[e.id] = UInt64(index * 8)
      return .uint64
    case .cgroupid:
      guard arity(1...1), let path = stringLiteral(args[0], of: f) else { return nil }
      guard let id = options.machine.cgroupID(path) else {
        error(.notACgroup(path), at: args[0].range)
        return nil
      }
      constants[e.id] = id
      return .uint64
    case .macaddr:
      guard arity(1...1), let t = check(args[0]) else { return nil }
      guard t.isPointer || t.isInteger || t == .string(size: 6) else {
        error(.macaddrArgument(t), at: args[0].range)
        return nil
      }
      return .symbol(.macAddress)
    case .uaddr:
      guard arity(1...1), let name = stringLiteral(args[0], of: f) else { return nil }
      let binary: String, function: String?, probeAddress: UInt64?
      if case .uprobe(let b, let fn) = current.kind {
        (binary, function, probeAddress) = (b, fn.contains("+") ? nil : fn, nil)
      } else if case .usdt(let site) = current.kind {
        (binary, function, probeAddress) = (site.binary, nil, site.address)
      } else {
        return nil  // Function.uaddr.placement keeps it to these
      }
      guard let symbol = options.machine.userDataSymbol(name, function: function, in: binary) else {
        error(.unknownDataSymbol(name, in: binary), at: args[0].range)
        return nil
      }
      if symbol.positionIndependent {
        // Loaded at a random base: the probe's own address, known here and at run time, gives it.
        guard let anchor = probeAddress ?? symbol.functionAddress else {
          error(.uaddrNeedsAnchor, at: e.range)
          return nil
        }
        relativeAddresses[e.id] = Int64(bitPattern: symbol.address &- anchor)
      } else {
        constants[e.id] = symbol.address
      }
      let bytes = [1, 2, 4, 8].contains(Int(symbol.size)) ? Int(symbol.size) : 8
      return .pointer(.integer(bytes: bytes, signed: false), space: .user)
    case .pton:
      // Resolved when compiling, as in bpftrace: the address's bytes in network order.
      guard arity(1...1), let text = stringLiteral(args[0], of: f) else { return nil }
      guard let bytes = InetAddress.parse(text) else {
        error(.notAnAddress(text), at: args[0].range)
        return nil
      }
      byteConstants[e.id] = bytes
      return .bytes(count: bytes.count)
    case .ntop:
      guard arity(1...2) else { return nil }
      if args.count == 2, integerArgument(args[0]) == nil { return nil }
      guard let t = check(args[args.count - 1]) else { return nil }
      switch t {
      case .integer, .string(size: 4), .string(size: 16), .array(.integer(_, 8), 4), .array(.integer(_, 8), 16):
        return .symbol(.inetAddress)
      default:
        error(.ntopArgument(t), at: args[args.count - 1].range)
        return nil
      }
    case .kstack, .ustack:
      return checkStackFunction(f, args: args, e)
    case .commOfPid:
      // comm(pid): the task's comm, at the offset the kernel's BTF gives (the lowering reads it
      // through the reference bpf_task_from_pid hands out).
      guard arity(1...1), integerArgument(args[0]) != nil else { return nil }
      guard let task = lookupRecord("task_struct", isUnion: false, at: e.range) else { return nil }
      guard let comm = kernelTypes?.fields(of: task).first(where: { $0.name == "comm" }) else {
        error(.noTaskComm, at: e.range)
        return nil
      }
      fieldChains[e.id] = [KernelFieldAccess(record: task, field: comm, range: e.range)]
      return .string(size: 16)
    case .percpuKaddr:
      // percpu_kaddr("name" [, cpu]): a per-CPU variable the kernel's BTF lists, typed as the
      // kernel types it so that libbpf accepts the object's extern of it.
      guard arity(1...2), let name = stringLiteral(args[0], of: f) else { return nil }
      guard let type = kernelTypes?.variable(named: name) else {
        error(.unknownKernelVariable(name), at: args[0].range)
        return nil
      }
      if case .unsupported(let what) = type {
        error(.kernelVariableType(name, what), at: args[0].range)
        return nil
      }
      if args.count == 2, integerArgument(args[1]) == nil { return nil }
      kernelVariables[e.id] = KernelVariable(name: name, type: type)
      return .pointer(.integer(bytes: 8, signed: false), space: .kernel)
    case .printf, .cat, .system, .debugf, .unwatch, .signal, .override, .exit, .print, .clear, .zero, .delete, .str,
      .buf, .kptr, .uptr, .path, .sizeof, .strcontains, .strncmp, .skboutput, .aggregation, .hasKey, .getopt, .len, .strConcat, .strcap, .find, .memcmp, .writeUser, .fail, .staticAssert:
      preconditionFailure("\(f)() is not checked here")  // checkCall sends only the functions above
    }
  }

  /// `kstack(perf)`, `kstack(10)`, `ustack(bpftrace, 5)`: a mode, a frame limit, or both.
  func checkStackFunction(_ f: Function, args: [Expr], _ e: Expr) -> SType? {
    if mapLoopDepth > 0 {
      error(.stackInMapLoop(f), at: e.range)
      return nil
    }
    var mode = options.stackMode, limit = 127
    for (i, arg) in args.enumerated() {
      if i == 0, case .builtin(let name) = arg.kind, let m = StackFormat.Mode(rawValue: name) {
        mode = m
      } else if let n = compileTimeInteger(arg), (1...1024).contains(n) {
        limit = Int(n)
        types[arg.id] = .int64
      } else {
        error(.stackArgument(f), at: arg.range)
        return nil
      }
    }
    if args.count > 2 {
      error(.stackArity(f), at: e.range)
      return nil
    }
    if f == .kstack, mode == .buildID {
      if args.first.map({ if case .builtin("build_id") = $0.kind { return true } else { return false } }) == true {
        error(.buildIDKernelStack, at: args[0].range)
        return nil
      }
      warning(.buildIDKernelStackFallback, at: e.range)  // stack_mode = build_id
      mode = .raw
    }
    let format = StackFormat(mode: mode, limit: limit)
    return .symbol(f == .kstack ? .kernelStack(format) : .userStack(format))
  }

  func stringLiteral(_ arg: Expr, of f: Function) -> String? {
    // `kaddr(str($1))`: a positional parameter's text is known when compiling, like a literal.
    if case .call("str", let inner) = arg.kind, inner.count == 1, let text = positionalText(inner[0]) {
      types[arg.id] = .string(size: text.rawByteCount + 1)
      return text
    }
    guard case .string(let text) = arg.kind else {
      error(.needsStringLiteral(f), at: arg.range)
      return nil
    }
    types[arg.id] = .string(size: text.rawByteCount + 1)
    return text
  }
}

/// Text addresses as bytes in network order, as inet_pton reads them.
enum InetAddress {
  static func parse(_ text: String) -> [UInt8]? {
    var v4 = [UInt8](repeating: 0, count: 4), v6 = [UInt8](repeating: 0, count: 16)
    if inet_pton(AF_INET, text, &v4) == 1 { return v4 }
    if inet_pton(AF_INET6, text, &v6) == 1 { return v6 }
    return nil
  }
}
