function __swiftrace_should_offer_completions_for_flags_or_options -a expected_commands
    set -l non_repeating_flags_or_options $argv[2..]
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __swiftrace_parse_tokens
    test "$commands" = "$expected_commands"; and return $non_repeating_flags_or_options_absent
end

function __swiftrace_should_offer_completions_for_positional -a expected_commands positional_index_comparison expected_positional_index
    set -l non_repeating_flags_or_options
    set -l non_repeating_flags_or_options_absent 0
    set -l positional_index 0
    set -l commands
    __swiftrace_parse_tokens
    test "$commands" = "$expected_commands" -a \( "$positional_index" "$positional_index_comparison" "$expected_positional_index" \)
end

function __swiftrace_parse_tokens -S
    set -l unparsed_tokens (__swiftrace_tokens -pc)
    switch $unparsed_tokens[1]
    case 'swiftrace'
        __swiftrace_parse_subcommand -r 1 'e=' 'c/cmd=' 'dump=' 'I=+' 'include=+' 'f=' 'o/output=' 'p/pid=' 'metrics=' 'B=' 'd/debug=' 'k' 'V/version' 'info' 'l/list' 'emit-elf=' 'aot=' 'no-cache' 'test' 'bench' 'no-warnings' 'no-feature=' 'probe-filter=' 'dry-run' 'fmt' 'unsafe' 'usdt-file-activation' 'q/quiet' 'v/verbose' 'h/help'
        switch $unparsed_tokens[1]
        case 'help'
            __swiftrace_parse_subcommand -r 1 
        end
    end
end

function __swiftrace_tokens
    if test (string split -m 1 -f 1 -- . "$FISH_VERSION") -gt 3
        commandline --tokens-raw $argv
    else
        commandline -o $argv
    end
end

function __swiftrace_parse_subcommand -S -a positional_count
    argparse -s r -- $argv
    set -l option_specs $argv[2..]
    set -l is_repeating_positional $_flag_r
    set -el _flag_r
    set -a commands $unparsed_tokens[1]
    set positional_index 0
    while true
        set -e unparsed_tokens[1]
        argparse -sn "$commands" $option_specs -- $unparsed_tokens 2> /dev/null
        set unparsed_tokens $argv
        set positional_index (math $positional_index + 1)
        for non_repeating_flag_or_option in $non_repeating_flags_or_options
            if set -ql "_flag_$(string replace -a - _ -- $non_repeating_flag_or_option)"
                set non_repeating_flags_or_options_absent 1
                break
            end
        end
        test (count $unparsed_tokens) -eq 0 -o \( -z "$is_repeating_positional" -a "$positional_index" -gt "$positional_count" \) && break
    end
end

function __swiftrace_complete_directories
    set -l token (commandline -t)
    string match -- '*/' $token
    set -l subdirs $token*/
    printf %s\n $subdirs
end

function __swiftrace_custom_completion
    set -x SAP_SHELL fish
    set -x SAP_SHELL_VERSION $FISH_VERSION
    set -l tokens (__swiftrace_tokens -p)
    if test -z "$(__swiftrace_tokens -t)"
        set -l index (count (__swiftrace_tokens -pc))
        set tokens $tokens[..$index] \'\' $tokens[(math $index + 1)..]
    end
    command $tokens[1] $argv $tokens
end

complete -c 'swiftrace' -f
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" e' -s 'e' -d 'The program to run.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" c cmd' -s 'c' -l 'cmd' -d 'Run COMMAND, trace until it exits; \'cpid\' is its pid.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" dump' -l 'dump' -d 'Print a compiler stage and exit: ast, types, llvm or llvm-opt (after LLVM\'s optimizations).' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace"' -s 'I' -d 'Add DIR to the search path for #include in C definitions.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace"' -l 'include' -d 'Include FILE before the script\'s C definitions.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" f' -s 'f' -d 'Output format: text or json.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" o output' -s 'o' -l 'output' -d 'Write the trace\'s output to FILE instead of stdout.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" p pid' -s 'p' -l 'pid' -d 'Trace process PID only (uprobes attach to it; other probes filter on it); stop when it exits.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" metrics' -l 'metrics' -d 'Serve the maps\' live values as OpenMetrics at http://HOST:PORT/metrics while tracing (for Prometheus).' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" B' -s 'B' -d 'Output buffering: line (flush at each newline), full (when the buffer fills), or none.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" d debug' -s 'd' -l 'debug' -d 'Debug dump of stages, comma-separated: ast, types, codegen (llvm), codegen-opt (llvm-opt), or all; libbpf and verifier show libbpf\'s messages and the verifier\'s logs, as -v.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace"' -s 'k' -d 'Report failed map updates and deletes at their script line; -kk also failed memory reads.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" V version' -s 'V' -l 'version' -d 'Print the version and exit.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" info' -l 'info' -d 'Print what this system and build support, and exit.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" l list' -s 'l' -l 'list' -d 'List probes matching PATTERN (all without one), or the probes of the program given with -e or a file; with -v, their arguments.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" emit-elf' -l 'emit-elf' -d 'Write the compiled BPF object to FILE and exit without loading it.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" aot' -l 'aot' -d 'Compile the program ahead of time into FILE, an artefact that swiftrace-run (or FILE itself, an executable) runs on machines without a compiler; then exit.' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" no-cache' -l 'no-cache' -d 'Compile the program even if the compile cache holds it (and do not keep it there).'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" test' -l 'test' -d 'Run the program\'s test probes (test:NAME), each once, instead of tracing; exit 1 if one fails.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" bench' -l 'bench' -d 'Time the program\'s bench probes (bench:NAME) instead of tracing.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" no-warnings' -l 'no-warnings' -d 'Do not print warnings.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" no-feature' -l 'no-feature' -d 'Accepted for bpftrace\'s kernel features uprobe_multi, kprobe_multi and kprobe_session, which swiftrace does not use (one link per probe).' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" probe-filter' -l 'probe-filter' -d 'Attach only the probes whose name matches REGEX (BEGIN and END always run).' -rfka ''
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" dry-run' -l 'dry-run' -d 'Compile and load into the kernel (verifier included), but do not attach.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" fmt' -l 'fmt' -d 'Print the script formatted (two-space blocks, one statement per line, comments kept) instead of running it; with -o, into that file.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" unsafe' -l 'unsafe' -d 'Allow actions that change the system: system(), signal(), override().'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" usdt-file-activation' -l 'usdt-file-activation' -d 'Raise USDT semaphores in every process running the file (always done here, through the kernel).'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" q quiet' -s 'q' -l 'quiet' -d 'Do not print the \'Attaching N probes...\' line.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" v verbose' -s 'v' -l 'verbose' -d 'Verbose: show libbpf\'s messages and whole verifier logs.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_flags_or_options "swiftrace" h help' -s 'h' -l 'help' -d 'Show help information.'
complete -c 'swiftrace' -n '__swiftrace_should_offer_completions_for_positional "swiftrace" -eq 1' -fa 'help' -d 'Show subcommand help information.'
