#compdef swiftrace

__swiftrace_complete() {
    local -ar non_empty_completions=("${@:#(|:*)}")
    local -ar empty_completions=("${(M)@:#(|:*)}")
    _describe -V '' non_empty_completions -- empty_completions -P $'\'\''
}

__swiftrace_custom_complete() {
    local -a completions
    completions=("${(@f)"$("${command_name}" "${@}" "${command_line[@]}")"}")
    if [[ "${#completions[@]}" -gt 1 ]]; then
        __swiftrace_complete "${completions[@]:0:-1}"
    fi
}

__swiftrace_cursor_index_in_current_word() {
    if [[ -z "${QIPREFIX}${IPREFIX}${PREFIX}" ]]; then
        printf 0
    else
        printf %s "${#${(z)LBUFFER}[-1]}"
    fi
}

_swiftrace() {
    emulate -RL zsh -G
    setopt extendedglob nullglob numericglobsort
    unsetopt aliases banghist

    local -xr SAP_SHELL=zsh
    local -x SAP_SHELL_VERSION
    SAP_SHELL_VERSION="$(builtin emulate zsh -c 'printf %s "${ZSH_VERSION}"')"
    local -r SAP_SHELL_VERSION

    local context state state_descr line
    local -A opt_args

    local -r command_name="${words[1]}"
    local -ar command_line=("${words[@]}")
    local -ir current_word_index="$((CURRENT - 1))"

    local -i ret=1
    local -ar arg_specs=(
        '-e[The program to run.]:PROGRAM:'
        '(-c --cmd)'{-c,--cmd}'[Run COMMAND, trace until it exits; '\''cpid'\'' is its pid.]:COMMAND:'
        '--dump[Print a compiler stage and exit\: ast, types, llvm or llvm-opt (after LLVM'\''s optimizations).]:STAGE:'
        '*-I[Add DIR to the search path for #include in C definitions.]:DIR:'
        '*--include[Include FILE before the script'\''s C definitions.]:FILE:'
        '-f[Output format\: text or json.]:FORMAT:'
        '(-o --output)'{-o,--output}'[Write the trace'\''s output to FILE instead of stdout.]:FILE:'
        '(-p --pid)'{-p,--pid}'[Trace process PID only (uprobes attach to it; other probes filter on it); stop when it exits.]:PID:'
        '--metrics[Serve the maps'\'' live values as OpenMetrics at http\://HOST\:PORT/metrics while tracing (for Prometheus).]:HOST\:PORT:'
        '-B[Output buffering\: line (flush at each newline), full (when the buffer fills), or none.]:MODE:'
        '(-d --debug)'{-d,--debug}'[Debug dump of stages, comma-separated\: ast, types, codegen (llvm), codegen-opt (llvm-opt), or all; libbpf and verifier show libbpf'\''s messages and the verifier'\''s logs, as -v.]:STAGE:'
        '*-k[Report failed map updates and deletes at their script line; -kk also failed memory reads.]'
        '(-V --version)'{-V,--version}'[Print the version and exit.]'
        '--info[Print what this system and build support, and exit.]'
        '(-l --list)'{-l,--list}'[List probes matching PATTERN (all without one), or the probes of the program given with -e or a file; with -v, their arguments.]'
        '--emit-elf[Write the compiled BPF object to FILE and exit without loading it.]:FILE:'
        '--aot[Compile the program ahead of time into FILE, an artefact that swiftrace-run (or FILE itself, an executable) runs on machines without a compiler; then exit.]:FILE:'
        '--no-cache[Compile the program even if the compile cache holds it (and do not keep it there).]'
        '--test[Run the program'\''s test probes (test\:NAME), each once, instead of tracing; exit 1 if one fails.]'
        '--bench[Time the program'\''s bench probes (bench\:NAME) instead of tracing.]'
        '--no-warnings[Do not print warnings.]'
        '--no-feature[Accepted for bpftrace'\''s kernel features uprobe_multi, kprobe_multi and kprobe_session, which swiftrace does not use (one link per probe).]:FEATURE,...:'
        '--probe-filter[Attach only the probes whose name matches REGEX (BEGIN and END always run).]:REGEX:'
        '--dry-run[Compile and load into the kernel (verifier included), but do not attach.]'
        '--fmt[Print the script formatted (two-space blocks, one statement per line, comments kept) instead of running it; with -o, into that file.]'
        '--unsafe[Allow actions that change the system\: system(), signal(), override().]'
        '--usdt-file-activation[Raise USDT semaphores in every process running the file (always done here, through the kernel).]'
        '(-q --quiet)'{-q,--quiet}'[Do not print the '\''Attaching N probes...'\'' line.]'
        '(-v --verbose)'{-v,--verbose}'[Verbose\: show libbpf'\''s messages and whole verifier logs.]'
        '*:FILE|ARGS:'
        '(-h --help)'{-h,--help}'[Show help information.]'
        '(-): :->command'
        '(-)*:: :->arg'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0
    case "${state}" in
    command)
        local -ar subcommands=(
            'help:Show subcommand help information.'
        )
        _describe -V subcommand subcommands && ret=0
        ;;
    arg)
        case "${words[1]}" in
        help)
            "_swiftrace_${words[1]}" && ret=0
            ;;
        esac
        ;;
    esac

    return "${ret}"
}

_swiftrace_help() {
    local -i ret=1
    local -ar arg_specs=(
        '*:subcommands:'
    )
    _arguments -w -s -S : "${arg_specs[@]}" && ret=0

    return "${ret}"
}

if [[ "${funcstack[1]}" = _swiftrace ]]; then
    _swiftrace "${@}"
else
    compdef _swiftrace swiftrace
fi
