#compdef raycc

autoload -U is-at-least

_raycc() {
    typeset -A opt_args
    typeset -a _arguments_options
    local ret=1

    if is-at-least 5.2; then
        _arguments_options=(-s -S -C)
    else
        _arguments_options=(-s -C)
    fi

    local context curcontext="$curcontext" state line
    _arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
'-V[Print version]' \
'--version[Print version]' \
":: :_raycc_commands" \
"*::: :->raycc" \
&& ret=0
    case $state in
    (raycc)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:raycc-command-$line[1]:"
        case $line[1] in
            (compile)
_arguments "${_arguments_options[@]}" : \
'--format=[How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)]:FORMAT:((human\:"Text in the style of rustc, with the source lines, on stderr"
json\:"One JSON document with every diagnostic and a summary"
github\:"GitHub Actions workflow commands (annotations)"
sarif\:"SARIF 2.1.0, for GitHub code scanning and SARIF viewers"
gitlab\:"GitLab Code Quality report"))' \
'--color=[When to colour human diagnostics]:COLOR:((auto\:"On a terminal, unless \`NO_COLOR\` is set"
always\:"Always"
never\:"Never"))' \
'-o+[Write one file per object into DIR (atomically) instead of printing a stream]:DIR:_files' \
'--output=[Write one file per object into DIR (atomically) instead of printing a stream]:DIR:_files' \
'--worker-kind=[Workload kind for worker groups that do not choose one with the \`raycc.io/worker-kind\` annotation]:WORKER_KIND:((statefulset\:"StatefulSets (stable Pod names)"
deployment\:"Deployments"))' \
'--cluster-domain=[Cluster DNS domain used in the head address of namespaced clusters]:DOMAIN:_default' \
'--namespace=[Namespace for RayClusters that set none]:NS:_default' \
'--deny-warnings[Treat warnings as errors (exit 1)]' \
'--only-rayclusters[Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools'\'' files) instead of checking them or passing them through]' \
'--prune[With -o\: remove files raycc wrote earlier that no longer correspond to an object]' \
'--check[With -o\: write nothing; exit 1 when DIR is not what compile would write]' \
'--kustomization[With -o\: also write DIR/kustomization.yaml listing every generated file]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::paths -- Files, directories (searched for *.yaml and *.yml) or - for standard input:_default' \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
'--format=[How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)]:FORMAT:((human\:"Text in the style of rustc, with the source lines, on stderr"
json\:"One JSON document with every diagnostic and a summary"
github\:"GitHub Actions workflow commands (annotations)"
sarif\:"SARIF 2.1.0, for GitHub code scanning and SARIF viewers"
gitlab\:"GitLab Code Quality report"))' \
'--color=[When to colour human diagnostics]:COLOR:((auto\:"On a terminal, unless \`NO_COLOR\` is set"
always\:"Always"
never\:"Never"))' \
'--deny-warnings[Treat warnings as errors (exit 1)]' \
'--only-rayclusters[Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools'\'' files) instead of checking them or passing them through]' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::paths -- Files, directories (searched for *.yaml and *.yml) or - for standard input:_default' \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
'(--against)--base=[Compare with the sources at this git revision (e.g. origin/main)]:REV:_default' \
'--against=[Compare with manifests previously rendered into DIR]:DIR:_files' \
'--format=[Output format]:FORMAT:((text\:"Headers, impact notes and unified diffs"
markdown\:"A pull-request comment\: summary table and collapsible diffs"
json\:"\`{"summary"\: ..., "objects"\: \[...\]}\`"))' \
'--color=[When to colour the text output and diagnostics]:COLOR:((auto\:"On a terminal, unless \`NO_COLOR\` is set"
always\:"Always"
never\:"Never"))' \
'--worker-kind=[Workload kind for worker groups that do not choose one with the \`raycc.io/worker-kind\` annotation]:WORKER_KIND:((statefulset\:"StatefulSets (stable Pod names)"
deployment\:"Deployments"))' \
'--cluster-domain=[Cluster DNS domain used in the head address of namespaced clusters]:DOMAIN:_default' \
'--namespace=[Namespace for RayClusters that set none]:NS:_default' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
'*::paths -- OLD and NEW (files or folders); with --base or --against, the source paths (default\: the current folder):_default' \
&& ret=0
;;
(schema)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
'--list[List every code with its severity and summary]' \
'-h[Print help]' \
'--help[Print help]' \
'::code -- A code (`RC201`) or its name (`min-replicas-above-max`):_default' \
&& ret=0
;;
(krm)
_arguments "${_arguments_options[@]}" : \
'--color=[When to colour the diagnostics on stderr]:COLOR:((auto\:"On a terminal, unless \`NO_COLOR\` is set"
always\:"Always"
never\:"Never"))' \
'-h[Print help (see more with '\''--help'\'')]' \
'--help[Print help (see more with '\''--help'\'')]' \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
':shell -- The shell to complete in:(bash elvish fish powershell zsh)' \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
'-h[Print help]' \
'--help[Print help]' \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
":: :_raycc__subcmd__help_commands" \
"*::: :->help" \
&& ret=0

    case $state in
    (help)
        words=($line[1] "${words[@]}")
        (( CURRENT += 1 ))
        curcontext="${curcontext%:*:*}:raycc-help-command-$line[1]:"
        case $line[1] in
            (compile)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(validate)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(diff)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(schema)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(explain)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(krm)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(completions)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(man)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
(help)
_arguments "${_arguments_options[@]}" : \
&& ret=0
;;
        esac
    ;;
esac
;;
        esac
    ;;
esac
}

(( $+functions[_raycc_commands] )) ||
_raycc_commands() {
    local commands; commands=(
'compile:Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)' \
'validate:Check RayClusters without writing anything' \
'diff:Show what a change to RayCluster sources does to the cluster' \
'schema:Print the RayCluster JSON Schema that raycc validates against' \
'explain:Explain a diagnostic code (\`raycc explain RC201\`), or list them all' \
'krm:Run as a KRM function (kustomize, kpt)\: a resource list on stdin, one on stdout' \
'completions:Print the shell completion script for bash, zsh, fish, PowerShell or elvish' \
'man:Print the manual page (\`raycc man | man -l -\`)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'raycc commands' commands "$@"
}
(( $+functions[_raycc__subcmd__compile_commands] )) ||
_raycc__subcmd__compile_commands() {
    local commands; commands=()
    _describe -t commands 'raycc compile commands' commands "$@"
}
(( $+functions[_raycc__subcmd__completions_commands] )) ||
_raycc__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'raycc completions commands' commands "$@"
}
(( $+functions[_raycc__subcmd__diff_commands] )) ||
_raycc__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'raycc diff commands' commands "$@"
}
(( $+functions[_raycc__subcmd__explain_commands] )) ||
_raycc__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'raycc explain commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help_commands] )) ||
_raycc__subcmd__help_commands() {
    local commands; commands=(
'compile:Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)' \
'validate:Check RayClusters without writing anything' \
'diff:Show what a change to RayCluster sources does to the cluster' \
'schema:Print the RayCluster JSON Schema that raycc validates against' \
'explain:Explain a diagnostic code (\`raycc explain RC201\`), or list them all' \
'krm:Run as a KRM function (kustomize, kpt)\: a resource list on stdin, one on stdout' \
'completions:Print the shell completion script for bash, zsh, fish, PowerShell or elvish' \
'man:Print the manual page (\`raycc man | man -l -\`)' \
'help:Print this message or the help of the given subcommand(s)' \
    )
    _describe -t commands 'raycc help commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__compile_commands] )) ||
_raycc__subcmd__help__subcmd__compile_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help compile commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__completions_commands] )) ||
_raycc__subcmd__help__subcmd__completions_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help completions commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__diff_commands] )) ||
_raycc__subcmd__help__subcmd__diff_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help diff commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__explain_commands] )) ||
_raycc__subcmd__help__subcmd__explain_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help explain commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__help_commands] )) ||
_raycc__subcmd__help__subcmd__help_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help help commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__krm_commands] )) ||
_raycc__subcmd__help__subcmd__krm_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help krm commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__man_commands] )) ||
_raycc__subcmd__help__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help man commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__schema_commands] )) ||
_raycc__subcmd__help__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help schema commands' commands "$@"
}
(( $+functions[_raycc__subcmd__help__subcmd__validate_commands] )) ||
_raycc__subcmd__help__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'raycc help validate commands' commands "$@"
}
(( $+functions[_raycc__subcmd__krm_commands] )) ||
_raycc__subcmd__krm_commands() {
    local commands; commands=()
    _describe -t commands 'raycc krm commands' commands "$@"
}
(( $+functions[_raycc__subcmd__man_commands] )) ||
_raycc__subcmd__man_commands() {
    local commands; commands=()
    _describe -t commands 'raycc man commands' commands "$@"
}
(( $+functions[_raycc__subcmd__schema_commands] )) ||
_raycc__subcmd__schema_commands() {
    local commands; commands=()
    _describe -t commands 'raycc schema commands' commands "$@"
}
(( $+functions[_raycc__subcmd__validate_commands] )) ||
_raycc__subcmd__validate_commands() {
    local commands; commands=()
    _describe -t commands 'raycc validate commands' commands "$@"
}

if [ "$funcstack[1]" = "_raycc" ]; then
    _raycc "$@"
else
    compdef _raycc raycc
fi
