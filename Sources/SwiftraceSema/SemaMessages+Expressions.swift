import SwiftraceBasics
import SwiftraceSyntax

/// The words of the checker's diagnostics about calls, builtins, casts, operators and memory.
extension DiagnosticMessage {

  // MARK: Values and operators

  static func stringTooLong(limit: Int) -> Self {
    Self(.semaStringTooLong, "string is too long (over \(limit) bytes, BPFTRACE_STRLEN; longer strings only in printf, system and cat)")
  }
  static func positionalNotInteger(_ n: Int, _ value: String) -> Self {
    Self(.semaPositionalNotInteger, "positional parameter $\(n) is \"\(value)\", not a number; use str($\(n)) for its text")
  }
  static func undefinedVariable(_ name: String, hint: String) -> Self {
    Self(.semaUndefinedVariable, "variable '\(name)' is used before it is assigned\(hint)")
  }
  static func unknownIdentifier(_ name: String, hint: String) -> Self { Self(.semaUnknownIdentifier, "unknown identifier '\(name)'\(hint)") }
  static func operandNotInteger(_ op: String, _ t: SType) -> Self { Self(.semaOperandType, "'\(op)' needs an integer operand, not \(t)") }
  static func operandsNotInteger(_ op: String, _ t: SType) -> Self {
    Self(.semaOperandType, "'\(op)' needs integer operands, but this is \(t)")
  }
  static func shiftCount(_ n: Int64) -> Self { Self(.semaShiftCount, "a shift of \(n) bits: the count must be from 0 to 63") }
  static func cannotCompare(_ l: SType, _ r: SType) -> Self { Self(.semaOperandType, "cannot compare \(l) with \(r)") }
  static func cannotCompareArrays(_ l: SType, _ r: SType) -> Self {
    Self(.semaOperandType, "cannot compare \(l) with \(r): arrays compare with arrays of the same type")
  }
  static func tupleElement(_ t: SType) -> Self { Self(.semaTupleElement, "a tuple cannot hold \(t)") }
  static func notATuple(_ index: Int, _ t: SType) -> Self { Self(.semaNotATuple, "'.\(index)' needs a tuple, but this is \(t)") }
  static func tupleIndex(_ index: Int, _ t: SType, count: Int) -> Self {
    Self(.semaTupleIndex, "tuple index \(index) is out of range for \(t) (it has \(count) elements)")
  }
  static func ternaryTypes(_ a: SType, _ b: SType) -> Self { Self(.semaTernaryTypes, "the branches of '?:' have different types: \(a) and \(b)") }
  static func cannotCast(_ t: SType, to type: some CustomStringConvertible) -> Self { Self(.semaCastOperand, "cannot cast \(t) to \(type)") }
  static func arrayCastSize(_ t: SType, to type: CastType, bytes: Int) -> Self {
    Self(.semaCastOperand, "cannot cast \(t) (\(bytes) bytes) to \(type): the array must have exactly as many bytes")
  }
  static func incrementNotInteger(_ what: String, _ name: String, holds t: SType) -> Self {
    Self(.semaIncrementNotInteger, "'++' and '--' need an integer \(what), but '\(name)' holds \(t)")
  }
  static func aggregationRead(_ name: String, holds t: SType) -> Self {
    Self(.semaAggregationRead, "map '\(name)' holds \(t), which cannot be read in a probe (count, sum, min, max and avg maps can be); it prints at exit")
  }

  // MARK: Builtins and the probe's context

  static func contextInMapLoop(_ name: String) -> Self {
    Self(.semaContextInMapLoop, "'\(name)' cannot be used inside 'for (... : @map)'; copy it to a variable before the loop")
  }
  static func noRegisterArguments(_ name: String, in probe: String) -> Self {
    Self(.semaBuiltinUnavailable, "'\(name)' is only available in kprobe, uprobe, usdt and rawtracepoint probes, not in \(probe)")
  }
  static func noReturnValue(in probe: String) -> Self {
    Self(.semaBuiltinUnavailable, "'retval' is only available in kretprobe, uretprobe and kretfunc probes, not in \(probe)")
  }
  static func noArgs(in probe: String) -> Self {
    Self(.semaBuiltinUnavailable, "'args' is only available in tracepoint, raw tracepoint, kfunc and uprobe probes, not in \(probe)")
  }
  static func usdtArgument(_ probe: String, has count: Int, _ name: String) -> Self {
    Self(.semaUsdtArgument, "\(probe) has \(count) argument\(count == 1 ? "" : "s"); '\(name)' does not exist")
  }
  static func uprobeArgsNeedDebugInfo(_ path: String, _ function: String) -> Self {
    Self(.semaNoDebugInfo,
         "'args' in a uprobe needs the function's debug information (DWARF), and '\(path)' has none for '\(function)': build it with -g or install its debug package, or use arg0..arg5")
  }
  static func builtinMode(_ name: String, _ modes: [String]) -> Self {
    Self(.semaArgumentType, "\(name)() takes one of \(modes.joined(separator: ", ")), or nothing")
  }
  static func noTaskFields(_ link: String, _ field: String) -> Self {
    Self(.semaNoKernelTypes, "reading task_struct.\(link)->\(field), and the kernel's BTF has no such fields")
  }
  static let noTaskComm = Self(.semaNoKernelTypes, "comm(pid) reads task_struct.comm, and the kernel's BTF has no such field")
  static func noSavedRegisters(_ name: String, in probe: String) -> Self {
    Self(.semaBuiltinUnavailable,
         "'\(name)' reads the saved registers of kprobe, uprobe, usdt, profile and perf event probes, not of \(probe)")
  }
  static let cpidWithoutCommand = Self(.semaCpidWithoutCommand, "'cpid' needs a child command: run with -c CMD")
  static func unknownArgument(_ probe: String, _ name: String, hint: String) -> Self {
    Self(.semaUnknownField, "\(probe) has no argument '\(name)'\(hint)")
  }
  static func argumentByValue(_ name: String) -> Self {
    Self(.semaArgumentByValue, "'\(name)' is a struct passed by value, which args cannot read")
  }
  static func argumentOnStack(_ name: String, position: Int) -> Self {
    Self(.semaArgumentOnStack, "'\(name)' is parameter \(position); args reads the first six, which registers carry")
  }
  static func unknownTracepointField(_ probe: String, _ name: String, hint: String) -> Self {
    Self(.semaUnknownField, "tracepoint \(probe) has no field '\(name)'\(hint)")
  }
  /// WHY: what the declaration's placement says.
  static func placedOnly(_ why: String, notIn probe: String) -> Self { Self(.semaBuiltinUnavailable, "\(why), not in \(probe)") }
  static func placedNotIn(_ name: String, _ probe: String, _ why: String) -> Self {
    Self(.semaBuiltinUnavailable, "\(name)() in \(probe) \(why)")
  }

  // MARK: Calls

  static func unknownFunction(_ name: String, hint: String) -> Self { Self(.semaUnknownFunction, "unknown function '\(name)'\(hint)") }
  static func missingCallParentheses(_ name: String) -> Self {
    Self(.semaMissingCallParentheses, "'\(name)' is a function; call it as \(name)(...)")
  }
  static func notAValue(_ f: Function) -> Self { Self(.semaNotAValue, f.notAValueMessage) }
  static func unsafe(_ name: String, _ reason: String) -> Self { Self(.semaUnsafe, "\(name)() \(reason) and is refused without --unsafe") }
  static func aggregationAsValue(_ name: String) -> Self {
    Self(.semaAggregationNotAssigned, "\(name)() can only be assigned to a map, as in '@x = \(name)(...)'")
  }
  /// The count ALLOWED, in digits: "takes 1 argument", "takes 1 to 2 arguments".
  static func arity(_ f: Function, _ allowed: ClosedRange<Int>) -> Self {
    let count = allowed.lowerBound == allowed.upperBound ? "\(allowed.lowerBound)" : "\(allowed.lowerBound) to \(allowed.upperBound)"
    return Self(.semaArity, "\(f.rawValue)() takes \(count) argument\(allowed.upperBound == 1 ? "" : "s"): \(f.signature)")
  }
  static func takesOneArgument(_ f: Function) -> Self { Self(.semaArity, "\(f.rawValue)() takes one argument: \(f.signature)") }
  static func expects(_ f: Function, _ kind: ArgumentKind, not t: SType) -> Self {
    Self(.semaArgumentType, "\(f.rawValue)() expects \(kind.description), not \(t)")
  }
  static func expectsInteger(_ f: Function, not t: SType) -> Self { expects(f, .integer, not: t) }
  static func expectsStringOrArray(_ f: Function, not t: SType) -> Self {
    Self(.semaArgumentType, "\(f.rawValue)() expects a string or an array, not \(t)")
  }
  static func expectsAddress(_ f: Function, not t: SType) -> Self {
    Self(.semaArgumentType, "\(f.rawValue)() expects a pointer or an address, not \(t)")
  }
  static let unwatchArity = Self(.semaArity, "unwatch() takes the address a watchpoint watches: \(Function.unwatch.signature)")
  static let debugfArity = Self(.semaArity, "debugf() takes a format literal and up to three arguments: \(Function.debugf.signature)")
  static func debugfArgument(_ t: SType) -> Self { Self(.semaArgumentType, "debugf() prints integers and strings, not \(t)") }
  static func overrideValue(_ t: SType) -> Self { Self(.semaArgumentType, "override() expects an integer return value, not \(t)") }
  static func unknownSignal(_ name: String) -> Self { Self(.semaUnknownSignal, "signal(): unknown signal '\(name)'") }
  static func notASignalNumber(_ n: UInt64) -> Self { Self(.semaUnknownSignal, "signal(): \(n) is not a signal number (1 to 64)") }
  static func signalArgument(_ t: SType) -> Self { Self(.semaArgumentType, "signal() expects a signal name or number, not \(t)") }
  static let exitArity = Self(.semaArity, "exit() takes at most one argument, the exit status: \(Function.exit.signature)")
  static let pathArgument = Self(.semaArgumentType, "path() expects a struct path pointer")
  static let strcontainsArity = Self(.semaArity, "strcontains() takes two arguments: \(Function.strcontains.signature)")
  static func strcontainsArgument(_ t: SType) -> Self { Self(.semaArgumentType, "strcontains() searches strings, not \(t)") }
  static let strncmpArity = Self(.semaArity, "strncmp() takes three arguments: \(Function.strncmp.signature)")
  static func strncmpArgument(_ t: SType) -> Self { Self(.semaArgumentType, "strncmp() compares strings, not \(t)") }
  static let strncmpLength = Self(.semaArgumentType, "the length given to strncmp() must be an integer literal")

  // MARK: Strings and buffers

  static let bufArity = Self(.semaArity, "buf() takes one or two arguments: \(Function.buf.signature)")
  static let bufNeedsLength = Self(.semaArity, "buf() of a pointer needs a length: \(Function.buf.signature)")
  static func bufSource(_ t: SType) -> Self { Self(.semaArgumentType, "buf() reads from a pointer or a string, not \(t)") }
  static func lengthNotInteger(_ f: Function) -> Self { Self(.semaArgumentType, "the length given to \(f.rawValue)() must be an integer") }
  static func bufShortened(_ n: UInt64, to limit: Int) -> Self {
    Self(.semaBufferLength, "buf() length \(n) is longer than BPFTRACE_STRLEN; it is shortened to \(limit) bytes")
  }
  static let strArity = Self(.semaArity, "str() takes one or two arguments: \(Function.str.signature)")
  static func negativeLength(_ f: Function, _ n: Int64) -> Self {
    Self(.semaArgumentType, "the length given to \(f.rawValue)() must not be negative (it is \(n))")
  }
  static func strSource(_ t: SType) -> Self { Self(.semaArgumentType, "str() expects a pointer or a string, not \(t)") }

  // MARK: printf and its kin

  static func formatNotLiteral(_ name: String) -> Self {
    Self(.semaPrintfFormat, "\(name)() needs a string literal as its first argument")
  }
  static func invalidConversion(_ name: String, _ spec: String) -> Self { Self(.semaPrintfFormat, "\(name): invalid conversion '\(spec)'") }
  static func fieldTooWide(_ name: String, _ width: Int) -> Self {
    Self(.semaPrintfFormat, "\(name): a field of \(width) characters is more than \(PrintfFormat.widestField)")
  }
  static func printfArity(_ name: String, conversions: Int, arguments: Int) -> Self {
    Self(.semaPrintfArity,
         "\(name): the format has \(conversions) conversion\(conversions == 1 ? "" : "s") but \(arguments) argument\(arguments == 1 ? " was" : "s were") given")
  }
  /// CONVERSION: "d", "rx"; WANTED: "an integer", "a string", "a buffer (from buf())".
  static func printfArgumentType(_ name: String, _ conversion: String, expects wanted: String, argument: Int, is t: SType) -> Self {
    Self(.semaPrintfArgumentType, "\(name): %\(conversion) expects \(wanted), but argument \(argument) is \(t)")
  }
  static func iteratorConversion(_ conversion: String) -> Self {
    Self(.semaIteratorPrintf,
         "printf in an iter probe is formatted by the kernel (bpf_seq_printf), which has no %\(conversion); use d, i, u, x, X, c, s or p")
  }
  static func iteratorArgument(_ t: SType) -> Self {
    Self(.semaIteratorPrintf, "printf in an iter probe prints integers and strings, not \(t)")
  }
  static let iteratorTooManyArguments = Self(.semaIteratorPrintf, "printf in an iter probe takes at most 12 arguments (the kernel's limit)")

  // MARK: Map functions

  static let printArity = Self(.semaArity, "print() takes one to three arguments: \(Function.print.signature)")
  static func printTopDivisor(_ t: SType) -> Self { Self(.semaArgumentType, "print()'s top and divisor must be integers, not \(t)") }
  static let printValueExtras = Self(.semaArity, "print() of a value takes no top or divisor; they apply to whole maps")
  static func cannotPrint(_ t: SType) -> Self { Self(.semaArgumentType, "print() cannot print \(t)") }
  static func takesWholeMap(_ f: Function) -> Self { Self(.semaArgumentType, "\(f.rawValue)() takes a whole map: \(f.signature)") }
  static let deleteTakesElement = Self(.semaArgumentType, "delete() takes a map element: \(Function.delete.signature)")
  static func recordFieldTwice(_ name: String) -> Self { Self(.semaArgumentType, "the record names '\(name)' twice") }
  static func recordField(_ name: String, _ t: SType) -> Self {
    Self(.semaArgumentType, "record field '\(name)' holds \(t); a record's fields are integers, bools and strings")
  }
  static func offsetofThroughNonRecord(_ name: String, _ t: CType) -> Self {
    Self(.semaFieldAccess, "offsetof: '\(name)' is \(t), not a struct or union whose fields could follow")
  }
  static func returnValueNotInteger(_ t: SType) -> Self {
    Self(.semaArgumentType, "a probe returns an integer (a test probe passes when it returns 0), not \(t)")
  }
  static let addressOfNeedsVariable = Self(.semaArgumentType, "'&' takes the address of a scratch variable or a whole map, as in &$x or &@m")
  static func addressOfType(_ t: SType) -> Self {
    Self(.semaArgumentType, "'&' of a variable that holds \(t) is not supported (integers, strings, pointers and kernel structs are)")
  }
  static let histBuckets = Self(.semaArgumentType, "hist()'s second argument, the buckets per power of two as a power of two (k), is an integer literal from 0 to 5")
  static let pathSize = Self(.semaArgumentType, "path()'s size is an integer literal from 1 to 4096 (bytes)")
  static let findArguments = Self(.semaArgumentType, "find() takes a map, a key and a scratch variable: find(@map, key, $value)")
  static func findMap(_ name: String, holds t: SType) -> Self {
    Self(.semaArgumentType, "find() needs a map with keys that is not an aggregation, and '\(name)' holds \(t)")
  }
  static func memcmpCount(_ most: Int) -> Self {
    Self(.semaArgumentType, "memcmp()'s count is an integer literal no larger than its operands (\(most) bytes)")
  }
  static func argsAsValue(_ probe: String) -> Self {
    Self(.semaArgumentType, "args as a whole value is a tracepoint's record, and \(probe) is not a tracepoint: use its fields")
  }
  static let buildIDKernelStack = Self(.semaArgumentType, "the build_id stack mode is for ustack only: kernel frames have no build id")
  static let buildIDKernelStackFallback = Self(.semaArgumentType,
                                               "stack_mode build_id is for ustack only; this kstack prints in raw mode")
  static let tupleIndexNotLiteral = Self(.semaArgumentType, "a tuple's index is an integer literal: $t[0], $t[1], ...")
  static func unknownEnum(_ name: String) -> Self { Self(.semaArgumentType, "no enum named '\(name)' (in BTF or the script's C definitions)") }
  static func builtinArguments(_ name: String) -> Self {
    Self(.semaArity, "'\(name)' takes no arguments here")
  }
  /// bpftrace's rule, in its words' spirit.
  static let typeArgumentAsValue = Self(.semaArgumentType,
                                        "typeof(...) as an argument is a type, for a macro that takes one (macro m(t) { sizeof(t) })")
  static func unexpandedTypeParameter(_ name: String) -> Self {
    Self(.semaArgumentType, "'\(name)' stands for a type here: the macro's call must pass typeof(TYPE) for it")
  }
  static let timeSeriesRefused = Self(.semaArgumentType, "tseries() is refused: the config sets unstable_tseries = error")
  static let lenArgument = Self(.semaArgumentType, "len() takes a whole map or a stack: len(@map), len(kstack)")
  static let lenStackArgument = Self(.semaArgumentType,
                                     "len() of a stack takes kstack or ustack itself (a stack kept in a variable or map is only its id)")
  static func writeUserValue(_ t: SType) -> Self {
    Self(.semaArgumentType, "write_user() writes a value the program holds (a string, array, struct value, tuple or integer), not \(t)")
  }
  static func writeUserLength(_ n: Int64, size: Int) -> Self {
    Self(.semaArgumentType, "write_user()'s length \(n) is not from 1 to the value's \(size) bytes")
  }
  static func lenScalar(_ name: String) -> Self {
    Self(.semaArgumentType, "len() counts the keys of a map, and '\(name)' has none")
  }
  static let hasKeyArguments = Self(.semaArgumentType, "has_key() takes a map and a key: \(Function.has_key.signature)")
  static func hasKeyScalar(_ name: String) -> Self {
    Self(.semaArgumentType, "has_key() needs a map with keys, and '\(name)' has none")
  }
  static let deleteArity = Self(.semaArity, "delete() takes one map element: \(Function.delete.signature)")
  static func deleteHistogramKey(_ name: String) -> Self {
    Self(.semaDeleteHistogram, "delete() cannot remove one key of the histogram '\(name)'; use clear(\(name))")
  }
  static func unassignedMap(_ name: String, hint: String) -> Self { Self(.semaUndefinedMap, "map '\(name)' is used but never assigned\(hint)") }

  // MARK: skboutput

  static let skboutputArity = Self(.semaArity, "skboutput() takes four arguments: \(Function.skboutput.signature)")
  static let skboutputFile = Self(.semaArgumentType, "skboutput() writes to a file named by a string literal")
  static func skboutputPacket(_ t: SType) -> Self {
    Self(.semaArgumentType, "skboutput() copies a packet from a struct sk_buff *, not \(t)")
  }
  static let skboutputOffset = Self(.semaArgumentType, "the offset given to skboutput() must be a constant from 0 to 65535")


  // MARK: Memory, fields and types

  static func unreadableType(_ c: some CustomStringConvertible) -> Self { Self(.semaUnreadableType, "values of type \(c) cannot be read") }
  static func unreadableArrayField(_ name: String, of element: some CustomStringConvertible) -> Self {
    Self(.semaUnreadableType, "field '\(name)' is an array of \(element), which cannot be read yet")
  }
  static func arrowOnRecord(_ t: SType) -> Self { Self(.semaArrowOnRecord, "'->' needs a pointer, but this is \(t); use '.'") }
  static func fieldAccess(_ accessor: String, _ name: String, on t: SType) -> Self {
    Self(.semaFieldAccess, "'\(accessor)\(name)' needs a struct or a pointer to one, not \(t)")
  }
  static func unknownField(_ record: some CustomStringConvertible, _ name: String, hint: String) -> Self {
    Self(.semaUnknownField, "\(record) has no field '\(name)'\(hint)")
  }
  static func structTooLarge(_ record: some CustomStringConvertible, bytes: Int, limit: Int) -> Self {
    Self(.semaStructTooLarge,
         "\(record) is \(bytes) bytes, too large to copy as a value (at most \(limit): BPF's stack has 512); read its fields instead")
  }
  static func dereference(_ t: SType) -> Self { Self(.semaDereference, "'*' needs a pointer, not \(t)") }
  static func indexNotInteger(_ t: SType) -> Self { Self(.semaIndex, "an index must be an integer, not \(t)") }
  static func indexOutOfBounds(_ n: UInt64, size: Int) -> Self {
    Self(.semaIndexOutOfBounds, "the index \(n) is out of bounds for array of size \(size)")
  }
  static func notIndexable(_ t: SType) -> Self { Self(.semaIndex, "'[...]' needs a pointer or an array, not \(t)") }
  static func cannotCastToPointer(_ t: SType) -> Self { Self(.semaCastOperand, "cannot cast \(t) to a pointer") }
  /// KIND: struct, union or enum.
  static func noKernelTypes(_ kind: String, _ name: String) -> Self {
    Self(.semaNoKernelTypes, "\(kind) \(name) is unknown: kernel BTF (/sys/kernel/btf/vmlinux) is not available")
  }
  static func unknownType(_ kind: String, _ name: String, hint: String) -> Self { Self(.semaUnknownType, "unknown \(kind) '\(name)'\(hint)") }
  static let voidHasNoSize = Self(.semaOffsetofType, "void has no size")
  static func offsetofNeedsRecord(_ t: some CustomStringConvertible) -> Self {
    Self(.semaOffsetofType, "offsetof needs a struct or union, not \(t)")
  }
  static func sizeofCannotMeasure(_ t: SType) -> Self { Self(.semaSizeof, "sizeof cannot measure \(t)") }
  static func operatorOperands(_ op: String, _ l: SType, _ r: SType) -> Self {
    Self(.semaOperandType, "'\(op)' cannot be applied to \(l) and \(r)")
  }

  // MARK: Symbols, addresses and stacks

  static func unknownKernelSymbol(_ name: String) -> Self {
    Self(.semaUnknownSymbol, "kaddr(): Failed to resolve kernel symbol '\(name)': no such symbol in /proc/kallsyms")
  }
  static func unknownKernelVariable(_ name: String) -> Self {
    Self(.semaUnknownSymbol, "percpu_kaddr(): the kernel's BTF has no per-CPU variable named '\(name)'")
  }
  static func kernelVariableType(_ name: String, _ what: String) -> Self {
    Self(.semaUnknownSymbol, "percpu_kaddr(): '\(name)' has a type an object cannot declare (\(what))")
  }
  static func noRegisters(in probe: String) -> Self {
    Self(.semaBuiltinUnavailable, "reg() reads the registers of kprobe, uprobe, usdt, profile and perf event probes, not of \(probe)")
  }
  static func unknownRegister(_ name: String, hint: String) -> Self { Self(.semaUnknownRegister, "reg(): unknown register '\(name)'\(hint)") }
  static func notACgroup(_ path: String) -> Self { Self(.semaUnknownCgroup, "cgroupid(): '\(path)' is not a cgroup directory") }
  static func macaddrArgument(_ t: SType) -> Self { Self(.semaArgumentType, "macaddr() needs a pointer or 6 bytes, not \(t)") }
  static func unknownDataSymbol(_ name: String, in binary: String) -> Self {
    Self(.semaUnknownSymbol, "uaddr(): no data symbol named '\(name)' in \(binary)")
  }
  static let uaddrNeedsAnchor = Self(.semaBuiltinUnavailable,
                                     "uaddr() in a position-independent binary needs a uprobe at a function's entry or a usdt probe")
  static func notAnAddress(_ text: String) -> Self { Self(.semaArgumentType, "pton(): '\(text)' is not an IPv4 or IPv6 address") }
  static func ntopArgument(_ t: SType) -> Self {
    Self(.semaArgumentType, "ntop() expects an IPv4 address (an integer or 4 bytes) or an IPv6 address (16 bytes), not \(t)")
  }
  static func stackInMapLoop(_ f: Function) -> Self {
    Self(.semaContextInMapLoop, "'\(f.rawValue)' cannot be used inside 'for (... : @map)'")
  }
  static func stackArgument(_ f: Function) -> Self {
    Self(.semaArgumentType, "\(f.rawValue)() takes a mode (bpftrace, perf or raw) and a frame limit from 1 to 1024: \(f.signature)")
  }
  static func stackArity(_ f: Function) -> Self { Self(.semaArity, "\(f.rawValue)() takes at most two arguments: \(f.signature)") }
  static func needsStringLiteral(_ f: Function) -> Self { Self(.semaArgumentType, "\(f.rawValue)() needs a string literal here") }
}
