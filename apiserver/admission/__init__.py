"""Admission: plugins that may change (mutating phase) and then accept or refuse (validating phase) every write
that passed authorization, before it is stored (k8s.io/apiserver ``pkg/admission``)."""
