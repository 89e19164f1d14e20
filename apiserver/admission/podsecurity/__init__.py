"""PodSecurity admission (k8s.io/pod-security-admission as built into kube-apiserver 1.32): the Pod Security
Standards, chosen per namespace by its ``pod-security.kubernetes.io/*`` labels.

``api`` reads levels, versions and policies from labels; ``checks`` holds the baseline and restricted checks and
evaluates a pod against a level and version; ``plugin`` is the admission plugin."""
