# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_kubectl_etcd_global_optspecs
    string join \n kubeconfig= context= cluster= user= as= as-group= n/namespace= request-timeout= color= h/help V/version
end

function __fish_kubectl_etcd_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_kubectl_etcd_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_kubectl_etcd_using_subcommand
    set -l cmd (__fish_kubectl_etcd_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -s V -l version -d 'Print version'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "create" -d 'Create an etcd cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "list" -d 'List etcd clusters'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "status" -d 'Show a cluster\'s health, members and conditions'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "scale" -d 'Change the number of members of a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "upgrade-plan" -d 'Show the steps an upgrade would take; change nothing'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "upgrade" -d 'Upgrade (or change the patch version of) a cluster, one member at a time'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "pause" -d 'Stop the operator from changing a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "resume" -d 'Let the operator change a paused cluster again'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "delete" -d 'Delete a cluster and everything it owns'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "validate" -d 'Check manifests against the rules the API server enforces; nothing is sent anywhere'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "version" -d 'Show the plugin\'s and the operator\'s versions'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "backup" -d 'Back up a cluster now'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "backups" -d 'List the backups of a cluster, or of every cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "restore" -d 'Create a new cluster from a snapshot'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "alarm" -d 'List or disarm etcd\'s alarms (NOSPACE, CORRUPT)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "move-leader" -d 'Move raft leadership to another member'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "etcdctl" -d 'Run etcdctl against the cluster, inside a member'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "logs" -d 'Show the members\' etcd logs, interleaved'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "report" -d 'Write a support bundle for a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "defrag" -d 'Defragment the members of a cluster, to give free space in their database files back'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "rotate-certificates" -d 'Renew the certificates the operator issued for a TLS cluster now (and with --ca its CA)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "credentials" -d 'Write a TLS cluster\'s client certificate, key and CA for etcdctl'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "completion" -d 'Print shell completion scripts, or how to make `kubectl etcd <TAB>` complete'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "install" -d 'Install the CRDs and the etcd-operator (RBAC, Deployment) into the cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "uninstall" -d 'Remove what install installed; refuses while EtcdClusters exist unless --force'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_needs_command" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l size -d 'Number of voting members, 1 to 9. Odd sizes are recommended. Default: 3' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l version -d 'etcd version, e.g. 3.5.30. Default: the newest tested version. Releases under one of etcd\'s advisories (3.4.0-3.4.20, 3.5.0-3.5.5) are refused unless --force' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l storage -d 'Volume size of each member (a quantity such as 8Gi), or `ephemeral` for data in an emptyDir that is lost with its Pod. Default: 1Gi, persistent' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l storage-class -d 'StorageClass of the members\' volumes. Default: the cluster\'s default class' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l repository -d 'Image repository of etcd; the tag is `v<version>`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -s o -l output -d 'Print the resource as json or yaml (with --dry-run; otherwise the created object)' -r -f -a "json\t'Pretty-printed JSON, ending in a newline'
yaml\t'YAML'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l timeout -d 'How long --wait waits, e.g. 90s or 5m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l force -d 'Allow a version etcd advises against, or a minor version the project does not support (sets the etcd.kubectl-etcd.dev/allow-unsupported-version annotation). For tests only: nothing else is forced'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l dry-run -d 'Print the EtcdCluster instead of creating it (YAML unless -o json). Reads no kubeconfig and sends nothing'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -l wait -d 'Wait until the cluster runs with all its members ready'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -s y -l yes -d 'Create without asking: values not given take their defaults. Without a terminal nothing is asked anyway'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -s o -l output -d 'wide adds LEADER and LAST BACKUP; json and yaml print a List of the objects; name prints etcdcluster/NAME lines' -r -f -a "wide\t'The table with more columns'
json\t'The objects as JSON'
yaml\t'The objects as YAML'
name\t'KIND/NAME, one a line'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -s A -l all-namespaces -d 'List the clusters of every namespace'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -l no-headers -d 'Leave out the header line of the table'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -s o -l output -d 'Print the EtcdCluster object (status included) as json or yaml, or etcdcluster/NAME, instead of the summary' -r -f -a "json\t'The object as JSON'
yaml\t'The object as YAML'
name\t'KIND/NAME'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand status" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l size -d 'New number of voting members, 1 to 9. Odd sizes are recommended. Asked for on a terminal when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l timeout -d 'How long --wait waits, e.g. 90s or 10m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -s y -l yes -d 'Scale without showing the steps or asking'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -l wait -d 'Wait until the cluster runs at the new size'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand scale" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l to -d 'The etcd version to plan for, e.g. 3.5.1 (a leading v is accepted). Chosen from a list on a terminal when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -s o -l output -d 'Print the plan as json or yaml instead of a table' -r -f -a "json\t'Pretty-printed JSON, ending in a newline'
yaml\t'YAML'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -l force -d 'Plan for a minor version the project does not support yet'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade-plan" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l to -d 'The etcd version to move to, e.g. 3.5.1 (a leading v is accepted). Chosen from a list on a terminal when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l timeout -d 'How long --wait waits, e.g. 90s or 20m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l force -d 'Allow a target etcd advises against (3.4.0-3.4.20, 3.5.0-3.5.5) or a minor version the project does not support yet (sets the etcd.kubectl-etcd.dev/allow-unsupported-version annotation). Nothing else is forced: minor versions are still taken one at a time, through the patch etcd asks for'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -s y -l yes -d 'Upgrade without asking'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -l wait -d 'Wait until every member runs the new version'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand upgrade" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand pause" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand resume" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l timeout -d 'How long --wait waits, e.g. 30s or 2m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -s y -l yes -d 'Delete without asking'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -l wait -d 'Wait until the cluster is gone'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand delete" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -s f -l filename -d 'Manifest file to check (multi-document YAML or JSON); `-` reads standard input. Repeat for several files' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -s o -l output -d 'Output format of the report: text (default), json or yaml' -r -f -a "text\t''
json\t''
yaml\t''"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand validate" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -s o -l output -d 'Print the versions as json or yaml' -r -f -a "json\t'Pretty-printed JSON, ending in a newline'
yaml\t'YAML'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -l client -d 'Show only the plugin\'s version; do not contact the cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand version" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l to -d 'Where to store the snapshot: s3://bucket/prefix, gs://bucket/prefix, az://container/prefix or file:///path (a volume of the operator). Defaults to the cluster\'s spec.backup.destination' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l credentials-secret -d 'Secret with the store\'s credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_SERVICE_ACCOUNT_KEY, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l s3-endpoint -d 'Endpoint of an S3-compatible store, e.g. https://minio.example:9000' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l s3-region -d 'Region of the S3 bucket' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l azure-endpoint -d 'Blob endpoint of an Azure storage account outside the public cloud (Azure Stack, national clouds, Azurite), e.g. http://azurite:10000/devstoreaccount1' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l gcs-endpoint -d 'Base URL of a Google Cloud Storage service other than Google\'s (a private endpoint, fake-gcs-server), e.g. http://fake-gcs:4443' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l backup-name -d 'Name of the EtcdBackup to create (default: <cluster>-<UTC time>)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l timeout -d 'How long --wait waits, e.g. 90s or 10m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l download -d 'Stream a snapshot to this local file through the Kubernetes API instead' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -s o -l output -d 'json prints the EtcdBackup (or, with --download, what was written) as JSON' -r -f -a "json\t''"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l s3-path-style -d 'Address the S3 bucket in the path (most self-hosted stores need it)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l s3-allow-http -d 'Allow plain HTTP to the S3 endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l azure-allow-http -d 'Allow plain HTTP to the Azure endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l gcs-allow-http -d 'Allow plain HTTP to the GCS endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -l wait -d 'Wait until the snapshot is stored (or failed)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -s y -l yes -d 'Back up without showing where or asking'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backup" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -s o -l output -d 'wide adds MEMBER and SHA256; json and yaml print the rows as an array, newest first; name prints etcdbackup/NAME lines' -r -f -a "wide\t'The table with more columns'
json\t'The objects as JSON'
yaml\t'The objects as YAML'
name\t'KIND/NAME, one a line'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -s A -l all-namespaces -d 'List the backups of every namespace'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -l no-headers -d 'Leave out the header line of the table'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand backups" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l from -d 'An EtcdBackup name (its newest snapshot), a snapshot URL (s3://, gs://, az://; the members fetch it, so a file:// path is refused in a cluster: copy it here and give the FILE), or a local snapshot FILE to upload. Chosen on a terminal when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l size -d 'Number of voting members of the new cluster (1 to 9; default 3, asked on a terminal)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l version -d 'etcd version of the new cluster (default: the snapshot\'s, when the backup recorded it; for a FILE, the newest supported version, which also restores snapshots of the minor before it). Asked on a terminal when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l sha256 -d 'Expected SHA-256 of the snapshot file' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l credentials-secret -d 'Secret with the store\'s credentials (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, GOOGLE_SERVICE_ACCOUNT_KEY, or AZURE_STORAGE_ACCOUNT_NAME and AZURE_STORAGE_ACCOUNT_KEY)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l s3-endpoint -d 'Endpoint of an S3-compatible store, e.g. https://minio.example:9000' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l s3-region -d 'Region of the S3 bucket' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l azure-endpoint -d 'Blob endpoint of an Azure storage account outside the public cloud (Azure Stack, national clouds, Azurite), e.g. http://azurite:10000/devstoreaccount1' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l gcs-endpoint -d 'Base URL of a Google Cloud Storage service other than Google\'s (a private endpoint, fake-gcs-server), e.g. http://fake-gcs:4443' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l restore-name -d 'Name of the EtcdRestore (default: restore-<NEWNAME>)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l timeout -d 'How long --wait waits' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l s3-path-style -d 'Address the S3 bucket in the path (most self-hosted stores need it)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l s3-allow-http -d 'Allow plain HTTP to the S3 endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l azure-allow-http -d 'Allow plain HTTP to the Azure endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l gcs-allow-http -d 'Allow plain HTTP to the GCS endpoint'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l tls -d 'Serve TLS in the new cluster, with certificates the operator issues (its spec.tls)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -s y -l yes -d 'Restore without asking or showing what will be created'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -l wait -d 'Wait until the new cluster runs at its size (or the restore fails)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -f -a "list" -d 'List the cluster\'s alarms (NOSPACE, CORRUPT)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -f -a "disarm" -d 'Deactivate the cluster\'s NOSPACE alarms (CORRUPT only with --corrupt)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and not __fish_seen_subcommand_from list disarm help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -s o -l output -d 'Output format: the alarms as JSON or YAML instead of a table' -r -f -a "json\t'Pretty-printed JSON, ending in a newline'
yaml\t'YAML'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l member -d 'Disarm only the alarms of this member (its Pod\'s name)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -l corrupt -d 'Disarm CORRUPT alarms too. A corrupt member serves data that differs from the other members\'; replace it or restore from a backup rather than disarm'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -s y -l yes -d 'Disarm without asking (questions are asked only on a terminal)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from disarm" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from help" -f -a "list" -d 'List the cluster\'s alarms (NOSPACE, CORRUPT)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from help" -f -a "disarm" -d 'Deactivate the cluster\'s NOSPACE alarms (CORRUPT only with --corrupt)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand alarm; and __fish_seen_subcommand_from help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l to -d 'The member (its Pod\'s name) to become leader' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -s o -l output -d 'Output format: the result as JSON or YAML' -r -f -a "json\t'Pretty-printed JSON, ending in a newline'
yaml\t'YAML'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand move-leader" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l member -d 'The member (its Pod\'s name) to run etcdctl in. Default: a Ready member, else one whose etcd runs (a cluster without a leader has no Ready member)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -s i -l stdin -d 'Pass the plugin\'s standard input to etcdctl'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand etcdctl" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l since -d 'Only lines newer than this, e.g. 30s, 10m, 1h' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l tail -d 'The last lines of each member only' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l member -d 'One member\'s logs only (its Pod\'s name)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -s f -l follow -d 'Follow the logs until Ctrl-C'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand logs" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l out -d 'The file to write. Default: etcd-report-NAME-UNIXTIME.tar.gz in the current folder' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l tail -d 'Log lines kept per container' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l member -d 'Defragment only this member (e.g. demo-2); every member when left out' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l timeout -d 'How long --wait waits, e.g. 90s or 10m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -l wait -d 'Wait until the operator reports the defragmentation done'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand defrag" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l timeout -d 'How long --wait waits, e.g. 90s or 20m' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l ca -d 'Rotate the CA too: a new CA, trusted next to the old one until every member and the client certificate use it'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -l wait -d 'Wait until every member runs with the renewed certificates'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -s y -l yes -d 'Ask for it without asking (questions are asked only on a terminal)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand rotate-certificates" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l out -d 'Folder to write ca.crt, tls.crt and tls.key into (created if missing)' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand credentials" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand completion" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l version -d 'The operator version: the image tag is v<VERSION>. Default: this plugin\'s version' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l image -d 'The operator image to deploy, e.g. one built with scripts/image.sh and pushed to your own registry, instead of ghcr.io/kubectl-etcd/etcd-operator:v<VERSION>. Members restored from a snapshot run the same image' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l dry-run -d 'Print the YAML that would be applied, and send nothing'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -l monitoring -d 'Also apply the monitoring objects for the prometheus-operator into the operator\'s namespace: a ServiceMonitor for every cluster\'s members, a PodMonitor for the operator, the alerting rules (PrometheusRule) and a Grafana dashboard ConfigMap. Refused (exit 3) before anything is changed when the cluster does not serve monitoring.coreos.com/v1'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand install" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l kubeconfig -d 'Path to the kubeconfig file. Default: the files $KUBECONFIG lists (colon-separated, merged as kubectl merges them), else ~/.kube/config' -r -F
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l context -d 'The kubeconfig context to use. Default: its current context' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l cluster -d 'The kubeconfig cluster to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l user -d 'The kubeconfig user to use instead of the context\'s' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l as -d 'The user to impersonate for the operation (a user name or a service account, as `system:serviceaccount:NAMESPACE:NAME`)' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l as-group -d 'A group to impersonate for the operation; repeat it for several groups' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -s n -l namespace -d 'The namespace. Default: the context\'s namespace, else `default`' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l request-timeout -d 'How long to wait for each answer of the API server, e.g. `10s` or `1m`. Default: no limit' -r
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l color -d 'When to colour what needs attention (a degraded cluster, an unhealthy member, a failed backup): auto colours a terminal unless NO_COLOR is set' -r -f -a "auto\t'Colour when stdout is a terminal, unless NO_COLOR is set or TERM is dumb'
always\t'Always colour, even into a pipe or a file'
never\t'Never colour'"
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -l force -d 'Uninstall even though EtcdClusters exist: they are all deleted with the CRDs'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand uninstall" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "create" -d 'Create an etcd cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "list" -d 'List etcd clusters'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "status" -d 'Show a cluster\'s health, members and conditions'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "scale" -d 'Change the number of members of a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "upgrade-plan" -d 'Show the steps an upgrade would take; change nothing'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "upgrade" -d 'Upgrade (or change the patch version of) a cluster, one member at a time'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "pause" -d 'Stop the operator from changing a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "resume" -d 'Let the operator change a paused cluster again'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "delete" -d 'Delete a cluster and everything it owns'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "validate" -d 'Check manifests against the rules the API server enforces; nothing is sent anywhere'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "version" -d 'Show the plugin\'s and the operator\'s versions'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "backup" -d 'Back up a cluster now'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "backups" -d 'List the backups of a cluster, or of every cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "restore" -d 'Create a new cluster from a snapshot'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "alarm" -d 'List or disarm etcd\'s alarms (NOSPACE, CORRUPT)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "move-leader" -d 'Move raft leadership to another member'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "etcdctl" -d 'Run etcdctl against the cluster, inside a member'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "logs" -d 'Show the members\' etcd logs, interleaved'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "report" -d 'Write a support bundle for a cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "defrag" -d 'Defragment the members of a cluster, to give free space in their database files back'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "rotate-certificates" -d 'Renew the certificates the operator issued for a TLS cluster now (and with --ca its CA)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "credentials" -d 'Write a TLS cluster\'s client certificate, key and CA for etcdctl'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "completion" -d 'Print shell completion scripts, or how to make `kubectl etcd <TAB>` complete'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "install" -d 'Install the CRDs and the etcd-operator (RBAC, Deployment) into the cluster'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "uninstall" -d 'Remove what install installed; refuses while EtcdClusters exist unless --force'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and not __fish_seen_subcommand_from create list status scale upgrade-plan upgrade pause resume delete validate version backup backups restore alarm move-leader etcdctl logs report defrag rotate-certificates credentials completion install uninstall help" -f -a "help" -d 'Print this message or the help of the given subcommand(s)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and __fish_seen_subcommand_from alarm" -f -a "list" -d 'List the cluster\'s alarms (NOSPACE, CORRUPT)'
complete -c kubectl-etcd -n "__fish_kubectl_etcd_using_subcommand help; and __fish_seen_subcommand_from alarm" -f -a "disarm" -d 'Deactivate the cluster\'s NOSPACE alarms (CORRUPT only with --corrupt)'
