# The blog demo from the shell ($ORB_TARGET names the broker).
orbctl get title
export ORB_TOKEN=bob-demo-token
orbctl whoami
orbctl call add_entry title=Hi body=There
orbctl get entry_count --json
orbctl set title "Bob's blog" || echo "exit code $?"
orbctl --json get _secret || echo "exit code $?"
