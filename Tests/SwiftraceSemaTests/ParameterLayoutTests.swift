import SwiftraceBasics
import SwiftraceSema
import SwiftraceTestSupport
import Testing

/// Which positional parameters a program reads as values (set by the run) and which the checker
/// used itself (compiled in).
@Suite struct ParameterLayoutTests {
  func layout(_ text: String, _ parameters: [String]) -> ParameterLayout {
    let (checked, diagnostics) = check(text, parameters: parameters)
    #expect(diagnostics.sorted.isEmpty, "\(diagnostics.sorted.map(\.message))")
    return checked.parameterLayout
  }

  @Test func valuesAreSlotsAndWhatTheCheckerUsedIsFixed() {
    let l = layout("interval:ms:$1 { printf(\"%d %s %d\\n\", $2, str($3), $1); @h = lhist($2, 0, $4, 1); }",
                   ["5", "7", "abc", "10"])
    #expect(l.fixed == [1, 4])
    #expect(l.integerSlot(1) == nil && l.integerSlot(4) == nil)
    #expect(l.integerSlot(2)?.offset == 0)
    #expect(l.stringSlot(3)?.use == .string(size: 64) && l.stringSlot(3)?.offset == 8)
    #expect(l.size == 72 && !l.countIsFixed)
  }

  @Test func conditionsDecidedWhenCompilingFixTheirParametersOnlyForCompileTimeChecks() {
    let failing = layout("BEGIN { if ($1 < 2) { fail(\"too small\"); } printf(\"%d\\n\", $1); }", ["3"])
    #expect(failing.fixed == [1] && failing.slots.isEmpty)
    let plain = layout("BEGIN { if ($1 < 2) { printf(\"small\\n\"); } }", ["3"])
    #expect(plain.fixed.isEmpty && plain.integerSlot(1) != nil)
    #expect(layout("BEGIN { printf(\"%d\\n\", $#); }", []).countIsFixed)
  }

  @Test func aRunsValuesAreCheckedAgainstTheLayout() {
    let l = layout("interval:ms:$1 { printf(\"%d %s\\n\", $2, str($3)); }", ["5", "7", "abc"])
    #expect(l.check(["5", "-8", "other"], builtWith: ["5", "7", "abc"]) == nil)
    #expect(l.check(["5"], builtWith: ["5", "7", "abc"]) == nil)  // $2 is 0, str($3) empty
    #expect(l.check(["6", "7", "abc"], builtWith: ["5", "7", "abc"])?.contains("$1 = '5'") == true)
    #expect(l.check(["5", "x", "abc"], builtWith: ["5", "7", "abc"])?.contains("not a number") == true)
    #expect(l.check(["5", "1", String(repeating: "z", count: 64)], builtWith: ["5", "7", "abc"])?.contains("holds 63") == true)
    let bytes = l.bytes(for: ["5", "-2", "hi"])
    #expect(Array(bytes[0..<8]) == [0xfe, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])
    #expect(Array(bytes[8..<11]) == Array("hi\0".utf8) && bytes.count == 72)
  }
}

/// What a run compares before loading: the tracepoint fields a program reads, as compiled, against
/// the formats of the kernel it runs on.
@Suite struct TracepointFieldUseTests {
  @Test func fieldsThatMovedOrWentAreReported() throws {
    let (checked, diagnostics) = check("tracepoint:syscalls:sys_enter_openat { printf(\"%s %d\\n\", str(args.filename), args.flags); }")
    #expect(diagnostics.sorted.isEmpty)
    let uses = checked.tracepointFieldUses
    #expect(uses.map(\.field.name) == ["filename", "flags"])
    let formats = TracefsCatalog(roots: [Golden.fixtureTracefs])
    #expect(TracepointFormat.changedFields(uses, catalog: formats).isEmpty)
    var moved = uses[1].field
    moved.offset += 8
    var renamed = uses[1].field
    renamed.name = "flagz"
    let compiled = [TracepointFieldUse(category: "syscalls", event: "sys_enter_openat", field: moved, range: uses[1].range),
                    TracepointFieldUse(category: "syscalls", event: "sys_enter_openat", field: renamed, range: uses[1].range)]
    let changed = TracepointFormat.changedFields(uses + compiled, catalog: formats)
    #expect(changed.map(\.use.field.name) == ["flags", "flagz"])
    #expect(changed[0].now == uses[1].field && changed[1].now == nil)
  }
}
