import SwiftraceBasics
import SwiftraceSyntax

/// print, clear, zero and delete. All but delete run in userspace, as in bpftrace: the probe sends
/// an event and the map is read or rewritten when the event is handled.
extension TypeChecker {
  func checkMapFunction(_ f: Function, _ own: OwnCheck, args: [Expr], _ e: Expr) {
    switch own {
    case .print:
      guard (1...3).contains(args.count) else {
        error(.printArity, at: e.range)
        return
      }
      if case .map(let name, let keys) = args[0].kind, keys.isEmpty {
        guard let info = assignedMap(name, at: args[0].range) else { return }
        types[args[0].id] = info.valueType
        for extra in args.dropFirst() {
          guard let t = check(extra) else { return }
          if !t.isInteger {
            error(.printTopDivisor(t), at: extra.range)
          }
        }
        registerAction(.printMap(name), for: e)
        return
      }
      guard args.count == 1 else {
        error(.printValueExtras, at: e.range)
        return
      }
      guard let t = check(args[0]).flatMap({ stored($0, at: args[0].range) }) else { return }
      guard t.isStorable, !t.isAggregation else {
        error(.cannotPrint(t), at: args[0].range)
        return
      }
      registerAction(.printValue(t.widened), for: e)
    case .clear, .zero:
      guard args.count == 1, case .map(let name, let keys) = args[0].kind, keys.isEmpty else {
        error(.takesWholeMap(f), at: args.first?.range ?? e.range)
        return
      }
      guard let info = assignedMap(name, at: args[0].range) else { return }
      types[args[0].id] = info.valueType
      registerAction(f == .clear ? .clearMap(name) : .zeroMap(name), for: e)
    case .delete:
      checkDelete(args, e)
    case .printf, .cat, .system, .debugf, .unwatch, .signal, .override, .exit, .time, .join, .strftime, .usym, .kaddr,
      .reg, .cgroupid, .macaddr, .uaddr, .pton, .ntop, .bswap, .kstack, .ustack, .str, .buf, .kptr, .uptr, .path,
      .sizeof, .strcontains, .strncmp, .skboutput, .aggregation, .hasKey, .getopt, .len, .strConcat, .strcap, .find, .memcmp, .writeUser, .fail, .staticAssert, .commOfPid, .percpuKaddr:
      preconditionFailure("\(f)() is not a map function")  // checkCall sends only print, clear, zero and delete
    }
  }

  /// `delete(@m[key])`, `delete(@m, key)` (newer bpftrace) and `delete(@scalar)`.
  func checkDelete(_ args: [Expr], _ e: Expr) {
    guard let target = args.first, case .map(let name, var keys) = target.kind else {
      error(.deleteTakesElement, at: args.first?.range ?? e.range)
      return
    }
    if args.count == 2, keys.isEmpty {
      keys = [args[1]]
    } else if args.count != 1 {
      error(.deleteArity, at: e.range)
      return
    }
    let keyTypes = checkKeys(keys, of: name)
    recordMap(name, keys: keyTypes, value: nil, at: target.range, valueRange: target.range)
    guard let info = assignedMap(name, at: target.range) else { return }
    if info.valueType.isHistogram {
      error(.deleteHistogramKey(name), at: target.range)
    }
    types[target.id] = info.valueType
  }

  /// The map `name` if some statement assigns it, else an error with a suggestion.
  func assignedMap(_ name: String, at range: SourceRange) -> MapInfo? {
    if let info = maps[name] { return info }
    let hint = closestName(to: name, in: maps.keys).map { "; did you mean '\($0)'?" } ?? ""
    error(.unassignedMap(name, hint: hint), at: range)
    return nil
  }

  /// Gives the call `e` an action id on the first round; later rounds may widen its types.
  func registerAction(_ action: AsyncAction, for e: Expr) {
    if let id = actionIDs[e.id] {
      actions[id] = action
    } else {
      actionIDs[e.id] = actions.count
      actions.append(action)
    }
  }

  /// `has_key(@m, key)`, or `has_key(@m, (k1, k2))` for a map of several keys (bpftrace 0.18 and
  /// later): whether the key is in the map.
  func checkHasKey(_ args: [Expr], _ e: Expr) -> SType? {
    guard args.count == 2, case .map(let name, let mapKeys) = args[0].kind, mapKeys.isEmpty else {
      error(.hasKeyArguments, at: args.first?.range ?? e.range)
      args.dropFirst().forEach { check($0) }
      return nil
    }
    guard let info = assignedMap(name, at: args[0].range) else { return nil }
    guard !info.isScalar else {
      error(.hasKeyScalar(name), at: args[0].range)
      return nil
    }
    types[args[0].id] = info.valueType
    // A tuple stands for the keys of a map of several, as in any map access (checkKeys).
    let keyTypes = checkKeys([args[1]], of: name)
    recordMap(name, keys: keyTypes, value: nil, at: args[1].range, valueRange: args[1].range)
    return .bool
  }

  /// `find(@m, key, $v)` (bpftrace 0.22 and later): whether the map has the key, storing its value
  /// in the variable when it has (the variable takes the map's value type).
  func checkFind(_ args: [Expr], _ e: Expr) -> SType? {
    guard args.count == 3, case .map(let name, let mapKeys) = args[0].kind, mapKeys.isEmpty,
      case .variable(let variable) = args[2].kind else {
      error(.findArguments, at: args.first?.range ?? e.range)
      return nil
    }
    guard let info = assignedMap(name, at: args[0].range) else { return nil }
    guard !info.isScalar, info.storage == .hash else {
      error(.findMap(name, holds: info.valueType), at: args[0].range)
      return nil
    }
    types[args[0].id] = info.valueType
    let keyTypes = checkKeys([args[1]], of: name)
    recordMap(name, keys: keyTypes, value: nil, at: args[1].range, valueRange: args[1].range)
    if let existing = scope[variable], existing != info.valueType {
      error(.variableTypeMismatch(variable, assigning: info.valueType, holds: existing), at: args[2].range)
      return nil
    }
    scope[variable] = info.valueType
    types[args[2].id] = info.valueType
    return .bool
  }
}
