
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'raycc' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'raycc'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'raycc' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('compile', 'compile', [CompletionResultType]::ParameterValue, 'Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check RayClusters without writing anything')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a change to RayCluster sources does to the cluster')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the RayCluster JSON Schema that raycc validates against')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a diagnostic code (`raycc explain RC201`), or list them all')
            [CompletionResult]::new('krm', 'krm', [CompletionResultType]::ParameterValue, 'Run as a KRM function (kustomize, kpt): a resource list on stdin, one on stdout')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for bash, zsh, fish, PowerShell or elvish')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (`raycc man | man -l -`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'raycc;compile' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human diagnostics')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Write one file per object into DIR (atomically) instead of printing a stream')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write one file per object into DIR (atomically) instead of printing a stream')
            [CompletionResult]::new('--worker-kind', '--worker-kind', [CompletionResultType]::ParameterName, 'Workload kind for worker groups that do not choose one with the `raycc.io/worker-kind` annotation')
            [CompletionResult]::new('--cluster-domain', '--cluster-domain', [CompletionResultType]::ParameterName, 'Cluster DNS domain used in the head address of namespaced clusters')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for RayClusters that set none')
            [CompletionResult]::new('--deny-warnings', '--deny-warnings', [CompletionResultType]::ParameterName, 'Treat warnings as errors (exit 1)')
            [CompletionResult]::new('--only-rayclusters', '--only-rayclusters', [CompletionResultType]::ParameterName, 'Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools'' files) instead of checking them or passing them through')
            [CompletionResult]::new('--prune', '--prune', [CompletionResultType]::ParameterName, 'With -o: remove files raycc wrote earlier that no longer correspond to an object')
            [CompletionResult]::new('--check', '--check', [CompletionResultType]::ParameterName, 'With -o: write nothing; exit 1 when DIR is not what compile would write')
            [CompletionResult]::new('--kustomization', '--kustomization', [CompletionResultType]::ParameterName, 'With -o: also write DIR/kustomization.yaml listing every generated file')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'raycc;validate' {
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'How to write diagnostics. Machine formats go to stdout for validate and to stderr for compile (whose stdout carries the manifests)')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour human diagnostics')
            [CompletionResult]::new('--deny-warnings', '--deny-warnings', [CompletionResultType]::ParameterName, 'Treat warnings as errors (exit 1)')
            [CompletionResult]::new('--only-rayclusters', '--only-rayclusters', [CompletionResultType]::ParameterName, 'Skip input files that do not mention RayCluster (Helm templates, YAML lists, other tools'' files) instead of checking them or passing them through')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'raycc;diff' {
            [CompletionResult]::new('--base', '--base', [CompletionResultType]::ParameterName, 'Compare with the sources at this git revision (e.g. origin/main)')
            [CompletionResult]::new('--against', '--against', [CompletionResultType]::ParameterName, 'Compare with manifests previously rendered into DIR')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the text output and diagnostics')
            [CompletionResult]::new('--worker-kind', '--worker-kind', [CompletionResultType]::ParameterName, 'Workload kind for worker groups that do not choose one with the `raycc.io/worker-kind` annotation')
            [CompletionResult]::new('--cluster-domain', '--cluster-domain', [CompletionResultType]::ParameterName, 'Cluster DNS domain used in the head address of namespaced clusters')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'Namespace for RayClusters that set none')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'raycc;schema' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'raycc;explain' {
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List every code with its severity and summary')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'raycc;krm' {
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour the diagnostics on stderr')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'raycc;completions' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'raycc;man' {
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help')
            break
        }
        'raycc;help' {
            [CompletionResult]::new('compile', 'compile', [CompletionResultType]::ParameterValue, 'Compile RayClusters into Kubernetes manifests (stdout, or one file per object with -o)')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check RayClusters without writing anything')
            [CompletionResult]::new('diff', 'diff', [CompletionResultType]::ParameterValue, 'Show what a change to RayCluster sources does to the cluster')
            [CompletionResult]::new('schema', 'schema', [CompletionResultType]::ParameterValue, 'Print the RayCluster JSON Schema that raycc validates against')
            [CompletionResult]::new('explain', 'explain', [CompletionResultType]::ParameterValue, 'Explain a diagnostic code (`raycc explain RC201`), or list them all')
            [CompletionResult]::new('krm', 'krm', [CompletionResultType]::ParameterValue, 'Run as a KRM function (kustomize, kpt): a resource list on stdin, one on stdout')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print the shell completion script for bash, zsh, fish, PowerShell or elvish')
            [CompletionResult]::new('man', 'man', [CompletionResultType]::ParameterValue, 'Print the manual page (`raycc man | man -l -`)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'raycc;help;compile' {
            break
        }
        'raycc;help;validate' {
            break
        }
        'raycc;help;diff' {
            break
        }
        'raycc;help;schema' {
            break
        }
        'raycc;help;explain' {
            break
        }
        'raycc;help;krm' {
            break
        }
        'raycc;help;completions' {
            break
        }
        'raycc;help;man' {
            break
        }
        'raycc;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
