
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'kubectl-etcd' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'kubectl-etcd'
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
        'kubectl-etcd' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an etcd cluster')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List etcd clusters')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a cluster''s health, members and conditions')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Change the number of members of a cluster')
            [CompletionResult]::new('upgrade-plan', 'upgrade-plan', [CompletionResultType]::ParameterValue, 'Show the steps an upgrade would take; change nothing')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Upgrade (or change the patch version of) a cluster, one member at a time')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Stop the operator from changing a cluster')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Let the operator change a paused cluster again')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a cluster and everything it owns')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check manifests against the rules the API server enforces; nothing is sent anywhere')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show the plugin''s and the operator''s versions')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up a cluster now')
            [CompletionResult]::new('backups', 'backups', [CompletionResultType]::ParameterValue, 'List the backups of a cluster, or of every cluster')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Create a new cluster from a snapshot')
            [CompletionResult]::new('alarm', 'alarm', [CompletionResultType]::ParameterValue, 'List or disarm etcd''s alarms (NOSPACE, CORRUPT)')
            [CompletionResult]::new('move-leader', 'move-leader', [CompletionResultType]::ParameterValue, 'Move raft leadership to another member')
            [CompletionResult]::new('etcdctl', 'etcdctl', [CompletionResultType]::ParameterValue, 'Run etcdctl against the cluster, inside a member')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the members'' etcd logs, interleaved')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Write a support bundle for a cluster')
            [CompletionResult]::new('defrag', 'defrag', [CompletionResultType]::ParameterValue, 'Defragment the members of a cluster, to give free space in their database files back')
            [CompletionResult]::new('rotate-certificates', 'rotate-certificates', [CompletionResultType]::ParameterValue, 'Renew the certificates the operator issued for a TLS cluster now (and with --ca its CA)')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Write a TLS cluster''s client certificate, key and CA for etcdctl')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print shell completion scripts, or how to make `kubectl etcd <TAB>` complete')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the CRDs and the etcd-operator (RBAC, Deployment) into the cluster')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove what install installed; refuses while EtcdClusters exist unless --force')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-etcd;create' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Number of voting members, 1 to 9. Odd sizes are recommended. Default: 3')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'etcd version, e.g. 3.5.30. Default: the newest tested version. Releases under one of etcd''s advisories (3.4.0-3.4.20, 3.5.0-3.5.5) are refused unless --force')
            [CompletionResult]::new('--storage', '--storage', [CompletionResultType]::ParameterName, 'Volume size of each member (a quantity such as 8Gi), or `ephemeral` for data in an emptyDir that is lost with its Pod. Default: 1Gi, persistent')
            [CompletionResult]::new('--storage-class', '--storage-class', [CompletionResultType]::ParameterName, 'StorageClass of the members'' volumes. Default: the cluster''s default class')
            [CompletionResult]::new('--repository', '--repository', [CompletionResultType]::ParameterName, 'Image repository of etcd; the tag is `v<version>`')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the resource as json or yaml (with --dry-run; otherwise the created object)')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the resource as json or yaml (with --dry-run; otherwise the created object)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 5m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Allow a version etcd advises against, or a minor version the project does not support (sets the etcd.kubectl-etcd.dev/allow-unsupported-version annotation). For tests only: nothing else is forced')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the EtcdCluster instead of creating it (YAML unless -o json). Reads no kubeconfig and sends nothing')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the cluster runs with all its members ready')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Create without asking: values not given take their defaults. Without a terminal nothing is asked anyway')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Create without asking: values not given take their defaults. Without a terminal nothing is asked anyway')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'wide adds LEADER and LAST BACKUP; json and yaml print a List of the objects; name prints etcdcluster/NAME lines')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'wide adds LEADER and LAST BACKUP; json and yaml print a List of the objects; name prints etcdcluster/NAME lines')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List the clusters of every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List the clusters of every namespace')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Leave out the header line of the table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;status' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the EtcdCluster object (status included) as json or yaml, or etcdcluster/NAME, instead of the summary')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the EtcdCluster object (status included) as json or yaml, or etcdcluster/NAME, instead of the summary')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;scale' {
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'New number of voting members, 1 to 9. Odd sizes are recommended. Asked for on a terminal when left out')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 10m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Scale without showing the steps or asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Scale without showing the steps or asking')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the cluster runs at the new size')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;upgrade-plan' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The etcd version to plan for, e.g. 3.5.1 (a leading v is accepted). Chosen from a list on a terminal when left out')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the plan as json or yaml instead of a table')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the plan as json or yaml instead of a table')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Plan for a minor version the project does not support yet')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;upgrade' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The etcd version to move to, e.g. 3.5.1 (a leading v is accepted). Chosen from a list on a terminal when left out')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 20m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Allow a target etcd advises against (3.4.0-3.4.20, 3.5.0-3.5.5) or a minor version the project does not support yet (sets the etcd.kubectl-etcd.dev/allow-unsupported-version annotation). Nothing else is forced: minor versions are still taken one at a time, through the patch etcd asks for')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Upgrade without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Upgrade without asking')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until every member runs the new version')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;pause' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;resume' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;delete' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 30s or 2m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Delete without asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Delete without asking')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the cluster is gone')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;validate' {
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Manifest file to check (multi-document YAML or JSON); `-` reads standard input. Repeat for several files')
            [CompletionResult]::new('--filename', '--filename', [CompletionResultType]::ParameterName, 'Manifest file to check (multi-document YAML or JSON); `-` reads standard input. Repeat for several files')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format of the report: text (default), json or yaml')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format of the report: text (default), json or yaml')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;version' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Print the versions as json or yaml')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Print the versions as json or yaml')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--client', '--client', [CompletionResultType]::ParameterName, 'Show only the plugin''s version; do not contact the cluster')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;backup' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'Where to store the snapshot: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or file:///path (a volume of the operator). Defaults to the cluster''s spec.backup.destination')
            [CompletionResult]::new('--credentials-secret', '--credentials-secret', [CompletionResultType]::ParameterName, 'Secret with the store''s credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_SERVICE_ACCOUNT_KEY, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'Endpoint of an S3-compatible store, e.g. https://minio.example:9000')
            [CompletionResult]::new('--s3-region', '--s3-region', [CompletionResultType]::ParameterName, 'Region of the S3 bucket')
            [CompletionResult]::new('--azure-endpoint', '--azure-endpoint', [CompletionResultType]::ParameterName, 'Blob endpoint of an Azure storage account outside the public cloud (Azure Stack, national clouds, Azurite), e.g. http://azurite:10000/devstoreaccount1')
            [CompletionResult]::new('--gcs-endpoint', '--gcs-endpoint', [CompletionResultType]::ParameterName, 'Base URL of a Google Cloud Storage service other than Google''s (a private endpoint, fake-gcs-server), e.g. http://fake-gcs:4443')
            [CompletionResult]::new('--backup-name', '--backup-name', [CompletionResultType]::ParameterName, 'Name of the EtcdBackup to create (default: <cluster>-<UTC time>)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 10m')
            [CompletionResult]::new('--download', '--download', [CompletionResultType]::ParameterName, 'Stream a snapshot to this local file through the Kubernetes API instead')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'json prints the EtcdBackup (or, with --download, what was written) as JSON')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'json prints the EtcdBackup (or, with --download, what was written) as JSON')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--s3-path-style', '--s3-path-style', [CompletionResultType]::ParameterName, 'Address the S3 bucket in the path (most self-hosted stores need it)')
            [CompletionResult]::new('--s3-allow-http', '--s3-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the S3 endpoint')
            [CompletionResult]::new('--azure-allow-http', '--azure-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the Azure endpoint')
            [CompletionResult]::new('--gcs-allow-http', '--gcs-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the GCS endpoint')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the snapshot is stored (or failed)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Back up without showing where or asking')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Back up without showing where or asking')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;backups' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'wide adds MEMBER and SHA256; json and yaml print the rows as an array, newest first; name prints etcdbackup/NAME lines')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'wide adds MEMBER and SHA256; json and yaml print the rows as an array, newest first; name prints etcdbackup/NAME lines')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-A', '-A ', [CompletionResultType]::ParameterName, 'List the backups of every namespace')
            [CompletionResult]::new('--all-namespaces', '--all-namespaces', [CompletionResultType]::ParameterName, 'List the backups of every namespace')
            [CompletionResult]::new('--no-headers', '--no-headers', [CompletionResultType]::ParameterName, 'Leave out the header line of the table')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;restore' {
            [CompletionResult]::new('--from', '--from', [CompletionResultType]::ParameterName, 'An EtcdBackup name (its newest snapshot), a snapshot URL (s3://, gs://, az://; the members fetch it, so a file:// path is refused in a cluster: copy it here and give the FILE), or a local snapshot FILE to upload. Chosen on a terminal when left out')
            [CompletionResult]::new('--size', '--size', [CompletionResultType]::ParameterName, 'Number of voting members of the new cluster (1 to 9; default 3, asked on a terminal)')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'etcd version of the new cluster (default: the snapshot''s, when the backup recorded it; for a FILE, the newest supported version, which also restores snapshots of the minor before it). Asked on a terminal when left out')
            [CompletionResult]::new('--sha256', '--sha256', [CompletionResultType]::ParameterName, 'Expected SHA-256 of the snapshot file')
            [CompletionResult]::new('--credentials-secret', '--credentials-secret', [CompletionResultType]::ParameterName, 'Secret with the store''s credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_SERVICE_ACCOUNT_KEY, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)')
            [CompletionResult]::new('--s3-endpoint', '--s3-endpoint', [CompletionResultType]::ParameterName, 'Endpoint of an S3-compatible store, e.g. https://minio.example:9000')
            [CompletionResult]::new('--s3-region', '--s3-region', [CompletionResultType]::ParameterName, 'Region of the S3 bucket')
            [CompletionResult]::new('--azure-endpoint', '--azure-endpoint', [CompletionResultType]::ParameterName, 'Blob endpoint of an Azure storage account outside the public cloud (Azure Stack, national clouds, Azurite), e.g. http://azurite:10000/devstoreaccount1')
            [CompletionResult]::new('--gcs-endpoint', '--gcs-endpoint', [CompletionResultType]::ParameterName, 'Base URL of a Google Cloud Storage service other than Google''s (a private endpoint, fake-gcs-server), e.g. http://fake-gcs:4443')
            [CompletionResult]::new('--restore-name', '--restore-name', [CompletionResultType]::ParameterName, 'Name of the EtcdRestore (default: restore-<NEWNAME>)')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--s3-path-style', '--s3-path-style', [CompletionResultType]::ParameterName, 'Address the S3 bucket in the path (most self-hosted stores need it)')
            [CompletionResult]::new('--s3-allow-http', '--s3-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the S3 endpoint')
            [CompletionResult]::new('--azure-allow-http', '--azure-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the Azure endpoint')
            [CompletionResult]::new('--gcs-allow-http', '--gcs-allow-http', [CompletionResultType]::ParameterName, 'Allow plain HTTP to the GCS endpoint')
            [CompletionResult]::new('--tls', '--tls', [CompletionResultType]::ParameterName, 'Serve TLS in the new cluster, with certificates the operator issues (its spec.tls)')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Restore without asking or showing what will be created')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Restore without asking or showing what will be created')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the new cluster runs at its size (or the restore fails)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;alarm' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the cluster''s alarms (NOSPACE, CORRUPT)')
            [CompletionResult]::new('disarm', 'disarm', [CompletionResultType]::ParameterValue, 'Deactivate the cluster''s NOSPACE alarms (CORRUPT only with --corrupt)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-etcd;alarm;list' {
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: the alarms as JSON or YAML instead of a table')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: the alarms as JSON or YAML instead of a table')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;alarm;disarm' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'Disarm only the alarms of this member (its Pod''s name)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--corrupt', '--corrupt', [CompletionResultType]::ParameterName, 'Disarm CORRUPT alarms too. A corrupt member serves data that differs from the other members''; replace it or restore from a backup rather than disarm')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Disarm without asking (questions are asked only on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Disarm without asking (questions are asked only on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;alarm;help' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the cluster''s alarms (NOSPACE, CORRUPT)')
            [CompletionResult]::new('disarm', 'disarm', [CompletionResultType]::ParameterValue, 'Deactivate the cluster''s NOSPACE alarms (CORRUPT only with --corrupt)')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-etcd;alarm;help;list' {
            break
        }
        'kubectl-etcd;alarm;help;disarm' {
            break
        }
        'kubectl-etcd;alarm;help;help' {
            break
        }
        'kubectl-etcd;move-leader' {
            [CompletionResult]::new('--to', '--to', [CompletionResultType]::ParameterName, 'The member (its Pod''s name) to become leader')
            [CompletionResult]::new('-o', '-o', [CompletionResultType]::ParameterName, 'Output format: the result as JSON or YAML')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Output format: the result as JSON or YAML')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;etcdctl' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'The member (its Pod''s name) to run etcdctl in. Default: a Ready member, else one whose etcd runs (a cluster without a leader has no Ready member)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-i', '-i', [CompletionResultType]::ParameterName, 'Pass the plugin''s standard input to etcdctl')
            [CompletionResult]::new('--stdin', '--stdin', [CompletionResultType]::ParameterName, 'Pass the plugin''s standard input to etcdctl')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;logs' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines newer than this, e.g. 30s, 10m, 1h')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'The last lines of each member only')
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'One member''s logs only (its Pod''s name)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-f', '-f', [CompletionResultType]::ParameterName, 'Follow the logs until Ctrl-C')
            [CompletionResult]::new('--follow', '--follow', [CompletionResultType]::ParameterName, 'Follow the logs until Ctrl-C')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;report' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'The file to write. Default: etcd-report-NAME-UNIXTIME.tar.gz in the current folder')
            [CompletionResult]::new('--tail', '--tail', [CompletionResultType]::ParameterName, 'Log lines kept per container')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;defrag' {
            [CompletionResult]::new('--member', '--member', [CompletionResultType]::ParameterName, 'Defragment only this member (e.g. demo-2); every member when left out')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 10m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until the operator reports the defragmentation done')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;rotate-certificates' {
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'How long --wait waits, e.g. 90s or 20m')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--ca', '--ca', [CompletionResultType]::ParameterName, 'Rotate the CA too: a new CA, trusted next to the old one until every member and the client certificate use it')
            [CompletionResult]::new('--wait', '--wait', [CompletionResultType]::ParameterName, 'Wait until every member runs with the renewed certificates')
            [CompletionResult]::new('-y', '-y', [CompletionResultType]::ParameterName, 'Ask for it without asking (questions are asked only on a terminal)')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Ask for it without asking (questions are asked only on a terminal)')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;credentials' {
            [CompletionResult]::new('--out', '--out', [CompletionResultType]::ParameterName, 'Folder to write ca.crt, tls.crt and tls.key into (created if missing)')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;completion' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;install' {
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'The operator version: the image tag is v<VERSION>. Default: this plugin''s version')
            [CompletionResult]::new('--image', '--image', [CompletionResultType]::ParameterName, 'The operator image to deploy, e.g. one built with scripts/image.sh and pushed to your own registry, instead of ghcr.io/kubectl-etcd/etcd-operator:v<VERSION>. Members restored from a snapshot run the same image')
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the YAML that would be applied, and send nothing')
            [CompletionResult]::new('--monitoring', '--monitoring', [CompletionResultType]::ParameterName, 'Also apply the monitoring objects for the prometheus-operator into the operator''s namespace: a ServiceMonitor for every cluster''s members, a PodMonitor for the operator, the alerting rules (PrometheusRule) and a Grafana dashboard ConfigMap. Refused (exit 3) before anything is changed when the cluster does not serve monitoring.coreos.com/v1')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;uninstall' {
            [CompletionResult]::new('--kubeconfig', '--kubeconfig', [CompletionResultType]::ParameterName, 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config')
            [CompletionResult]::new('--context', '--context', [CompletionResultType]::ParameterName, 'The kubeconfig context to use. Default: its current context')
            [CompletionResult]::new('--cluster', '--cluster', [CompletionResultType]::ParameterName, 'The kubeconfig cluster to use instead of the context''s')
            [CompletionResult]::new('--user', '--user', [CompletionResultType]::ParameterName, 'The kubeconfig user to use instead of the context''s')
            [CompletionResult]::new('--as', '--as', [CompletionResultType]::ParameterName, 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)')
            [CompletionResult]::new('--as-group', '--as-group', [CompletionResultType]::ParameterName, 'A group to impersonate for the operation; repeat it for several groups')
            [CompletionResult]::new('-n', '-n', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--namespace', '--namespace', [CompletionResultType]::ParameterName, 'The namespace. Default: the context''s namespace, else `default`')
            [CompletionResult]::new('--request-timeout', '--request-timeout', [CompletionResultType]::ParameterName, 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Uninstall even though EtcdClusters exist: they are all deleted with the CRDs')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            break
        }
        'kubectl-etcd;help' {
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Create an etcd cluster')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List etcd clusters')
            [CompletionResult]::new('status', 'status', [CompletionResultType]::ParameterValue, 'Show a cluster''s health, members and conditions')
            [CompletionResult]::new('scale', 'scale', [CompletionResultType]::ParameterValue, 'Change the number of members of a cluster')
            [CompletionResult]::new('upgrade-plan', 'upgrade-plan', [CompletionResultType]::ParameterValue, 'Show the steps an upgrade would take; change nothing')
            [CompletionResult]::new('upgrade', 'upgrade', [CompletionResultType]::ParameterValue, 'Upgrade (or change the patch version of) a cluster, one member at a time')
            [CompletionResult]::new('pause', 'pause', [CompletionResultType]::ParameterValue, 'Stop the operator from changing a cluster')
            [CompletionResult]::new('resume', 'resume', [CompletionResultType]::ParameterValue, 'Let the operator change a paused cluster again')
            [CompletionResult]::new('delete', 'delete', [CompletionResultType]::ParameterValue, 'Delete a cluster and everything it owns')
            [CompletionResult]::new('validate', 'validate', [CompletionResultType]::ParameterValue, 'Check manifests against the rules the API server enforces; nothing is sent anywhere')
            [CompletionResult]::new('version', 'version', [CompletionResultType]::ParameterValue, 'Show the plugin''s and the operator''s versions')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Back up a cluster now')
            [CompletionResult]::new('backups', 'backups', [CompletionResultType]::ParameterValue, 'List the backups of a cluster, or of every cluster')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Create a new cluster from a snapshot')
            [CompletionResult]::new('alarm', 'alarm', [CompletionResultType]::ParameterValue, 'List or disarm etcd''s alarms (NOSPACE, CORRUPT)')
            [CompletionResult]::new('move-leader', 'move-leader', [CompletionResultType]::ParameterValue, 'Move raft leadership to another member')
            [CompletionResult]::new('etcdctl', 'etcdctl', [CompletionResultType]::ParameterValue, 'Run etcdctl against the cluster, inside a member')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Show the members'' etcd logs, interleaved')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Write a support bundle for a cluster')
            [CompletionResult]::new('defrag', 'defrag', [CompletionResultType]::ParameterValue, 'Defragment the members of a cluster, to give free space in their database files back')
            [CompletionResult]::new('rotate-certificates', 'rotate-certificates', [CompletionResultType]::ParameterValue, 'Renew the certificates the operator issued for a TLS cluster now (and with --ca its CA)')
            [CompletionResult]::new('credentials', 'credentials', [CompletionResultType]::ParameterValue, 'Write a TLS cluster''s client certificate, key and CA for etcdctl')
            [CompletionResult]::new('completion', 'completion', [CompletionResultType]::ParameterValue, 'Print shell completion scripts, or how to make `kubectl etcd <TAB>` complete')
            [CompletionResult]::new('install', 'install', [CompletionResultType]::ParameterValue, 'Install the CRDs and the etcd-operator (RBAC, Deployment) into the cluster')
            [CompletionResult]::new('uninstall', 'uninstall', [CompletionResultType]::ParameterValue, 'Remove what install installed; refuses while EtcdClusters exist unless --force')
            [CompletionResult]::new('help', 'help', [CompletionResultType]::ParameterValue, 'Print this message or the help of the given subcommand(s)')
            break
        }
        'kubectl-etcd;help;create' {
            break
        }
        'kubectl-etcd;help;list' {
            break
        }
        'kubectl-etcd;help;status' {
            break
        }
        'kubectl-etcd;help;scale' {
            break
        }
        'kubectl-etcd;help;upgrade-plan' {
            break
        }
        'kubectl-etcd;help;upgrade' {
            break
        }
        'kubectl-etcd;help;pause' {
            break
        }
        'kubectl-etcd;help;resume' {
            break
        }
        'kubectl-etcd;help;delete' {
            break
        }
        'kubectl-etcd;help;validate' {
            break
        }
        'kubectl-etcd;help;version' {
            break
        }
        'kubectl-etcd;help;backup' {
            break
        }
        'kubectl-etcd;help;backups' {
            break
        }
        'kubectl-etcd;help;restore' {
            break
        }
        'kubectl-etcd;help;alarm' {
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the cluster''s alarms (NOSPACE, CORRUPT)')
            [CompletionResult]::new('disarm', 'disarm', [CompletionResultType]::ParameterValue, 'Deactivate the cluster''s NOSPACE alarms (CORRUPT only with --corrupt)')
            break
        }
        'kubectl-etcd;help;alarm;list' {
            break
        }
        'kubectl-etcd;help;alarm;disarm' {
            break
        }
        'kubectl-etcd;help;move-leader' {
            break
        }
        'kubectl-etcd;help;etcdctl' {
            break
        }
        'kubectl-etcd;help;logs' {
            break
        }
        'kubectl-etcd;help;report' {
            break
        }
        'kubectl-etcd;help;defrag' {
            break
        }
        'kubectl-etcd;help;rotate-certificates' {
            break
        }
        'kubectl-etcd;help;credentials' {
            break
        }
        'kubectl-etcd;help;completion' {
            break
        }
        'kubectl-etcd;help;install' {
            break
        }
        'kubectl-etcd;help;uninstall' {
            break
        }
        'kubectl-etcd;help;help' {
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
