# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_raycc_global_optspecs
    string join \n h/help V/version
end

function __fish_raycc_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_raycc_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_raycc_using_subcommand
    set -l cmd (__fish_raycc_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c raycc -n "__fish_raycc_needs_command" -s h -l help -d 'Print help'
complete -c raycc -n "__fish_raycc_needs_command" -s V -l version -d 'Print version'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "compile" -d 'Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "validate" -d 'Check RayClusters without writing anything'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "diff" -d 'Show what a change to RayCluster sources does to the cluster'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "schema" -d 'Print the RayCluster JSON Schema that raycc validates against'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "explain" -d 'Explain a diagnostic code (`raycc explain RC201`), or list them all'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "krm" -d 'Run as a KRM function (kustomize, kpt): a resource list on stdin, one on stdout'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish, PowerShell or elvish'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "man" -d 'Print the manual page (`raycc man | man -l -`)'
complete -c raycc -n "__fish_raycc_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l format -d 'How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)' -r -f -a "human\t'Text in the style of rustc, with the source lines, on stderr'
json\t'One JSON document with every diagnostic and a summary'
github\t'GitHub Actions workflow commands (annotations)'
sarif\t'SARIF 2.1.0, for GitHub code scanning and SARIF viewers'
gitlab\t'GitLab Code Quality report'"
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l color -d 'When to colour human diagnostics' -r -f -a "auto\t'On a terminal, unless `NO_COLOR` is set'
always\t'Always'
never\t'Never'"
complete -c raycc -n "__fish_raycc_using_subcommand compile" -s o -l output -d 'Write one file per object into DIR (atomically) instead of printing a stream' -r -F
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l worker-kind -d 'Workload kind for worker groups that do not choose one with the `raycc.io/worker-kind` annotation' -r -f -a "statefulset\t'StatefulSets (stable Pod names)'
deployment\t'Deployments'"
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l cluster-domain -d 'Cluster DNS domain used in the head address of namespaced clusters' -r
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l namespace -d 'Namespace for RayClusters that set none' -r
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l deny-warnings -d 'Treat warnings as errors (exit 1)'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l only-rayclusters -d 'Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools\' files) instead of checking them or passing them through'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l prune -d 'With -o: remove files raycc wrote earlier that no longer correspond to an object'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l check -d 'With -o: write nothing; exit 1 when DIR is not what compile would write'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -l kustomization -d 'With -o: also write DIR/kustomization.yaml listing every generated file'
complete -c raycc -n "__fish_raycc_using_subcommand compile" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c raycc -n "__fish_raycc_using_subcommand validate" -l format -d 'How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)' -r -f -a "human\t'Text in the style of rustc, with the source lines, on stderr'
json\t'One JSON document with every diagnostic and a summary'
github\t'GitHub Actions workflow commands (annotations)'
sarif\t'SARIF 2.1.0, for GitHub code scanning and SARIF viewers'
gitlab\t'GitLab Code Quality report'"
complete -c raycc -n "__fish_raycc_using_subcommand validate" -l color -d 'When to colour human diagnostics' -r -f -a "auto\t'On a terminal, unless `NO_COLOR` is set'
always\t'Always'
never\t'Never'"
complete -c raycc -n "__fish_raycc_using_subcommand validate" -l deny-warnings -d 'Treat warnings as errors (exit 1)'
complete -c raycc -n "__fish_raycc_using_subcommand validate" -l only-rayclusters -d 'Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools\' files) instead of checking them or passing them through'
complete -c raycc -n "__fish_raycc_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l base -d 'Compare with the sources at this git revision (e.g. origin/main)' -r
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l against -d 'Compare with manifests previously rendered into DIR' -r -F
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l format -d 'Output format' -r -f -a "text\t'Headers, impact notes and unified diffs'
markdown\t'A pull-request comment: summary table and collapsible diffs'
json\t'`{"summary": ..., "objects": [...]}`'"
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l color -d 'When to colour the text output and diagnostics' -r -f -a "auto\t'On a terminal, unless `NO_COLOR` is set'
always\t'Always'
never\t'Never'"
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l worker-kind -d 'Workload kind for worker groups that do not choose one with the `raycc.io/worker-kind` annotation' -r -f -a "statefulset\t'StatefulSets (stable Pod names)'
deployment\t'Deployments'"
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l cluster-domain -d 'Cluster DNS domain used in the head address of namespaced clusters' -r
complete -c raycc -n "__fish_raycc_using_subcommand diff" -l namespace -d 'Namespace for RayClusters that set none' -r
complete -c raycc -n "__fish_raycc_using_subcommand diff" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c raycc -n "__fish_raycc_using_subcommand schema" -s h -l help -d 'Print help'
complete -c raycc -n "__fish_raycc_using_subcommand explain" -l list -d 'List every code with its severity and summary'
complete -c raycc -n "__fish_raycc_using_subcommand explain" -s h -l help -d 'Print help'
complete -c raycc -n "__fish_raycc_using_subcommand krm" -l color -d 'When to colour the diagnostics on stderr' -r -f -a "auto\t'On a terminal, unless `NO_COLOR` is set'
always\t'Always'
never\t'Never'"
complete -c raycc -n "__fish_raycc_using_subcommand krm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c raycc -n "__fish_raycc_using_subcommand completions" -s h -l help -d 'Print help'
complete -c raycc -n "__fish_raycc_using_subcommand man" -s h -l help -d 'Print help'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "compile" -d 'Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "validate" -d 'Check RayClusters without writing anything'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "diff" -d 'Show what a change to RayCluster sources does to the cluster'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "schema" -d 'Print the RayCluster JSON Schema that raycc validates against'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "explain" -d 'Explain a diagnostic code (`raycc explain RC201`), or list them all'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "krm" -d 'Run as a KRM function (kustomize, kpt): a resource list on stdin, one on stdout'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "completions" -d 'Print the shell completion script for bash, zsh, fish, PowerShell or elvish'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "man" -d 'Print the manual page (`raycc man | man -l -`)'
complete -c raycc -n "__fish_raycc_using_subcommand help; and not __fish_seen_subcommand_from compile validate diff schema explain krm completions man help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
