"""The Pod Security Standards checks of 1.32 (pod-security-admission ``policy/``), each in every version it has,
and the evaluator that picks the checks of a level and version.

A check takes the pod's metadata and spec (JSON dicts, as stored) and returns None when it allows the pod, or
(forbidden reason, forbidden detail) with upstream's exact words. The words a request sees are the reasons of
the failed checks, with their details in parentheses, in upstream's order: baseline checks by ID, then
restricted checks by ID.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Callable, Dict, Iterator, List, Optional, Tuple

from apiserver.admission.podsecurity.api import BASELINE, PRIVILEGED, RESTRICTED, LevelVersion, Version

Result = Optional[Tuple[str, str]]          # None: allowed; else (reason, detail)
CheckFn = Callable[[dict, dict], Result]    # (pod metadata, pod spec) -> Result


# -- helpers (policy/helpers.go, visitor.go)

def _d(value) -> dict:
    return value if isinstance(value, dict) else {}


def _l(value) -> list:
    return value if isinstance(value, list) else []


def _set(value) -> bool:
    """Whether an optional field is set (a Go pointer that is not nil)."""
    return value is not None


def join_quote(items: List[str]) -> str:
    return '"' + '", "'.join(items) + '"' if items else ""


def pluralize(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def go_quote(value) -> str:
    """Go's %q for the strings checks quote."""
    return json.dumps(str(value), ensure_ascii=False)


def containers(spec: dict) -> Iterator[dict]:
    """visitContainers: init containers, containers, then ephemeral containers."""
    for key in ("initContainers", "containers", "ephemeralContainers"):
        for container in _l(spec.get(key)):
            if isinstance(container, dict):
                yield container


def _name(container: dict) -> str:
    return str(container.get("name") or "")


def _security_context(obj: dict) -> Optional[dict]:
    sc = obj.get("securityContext")
    return sc if isinstance(sc, dict) else None


def _is_windows(spec: dict) -> bool:
    return _d(spec.get("os")).get("name") == "windows"


def _is_zero(value) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value == 0


def _setters(pod_bad: bool, bad_containers: List[str]) -> List[str]:
    setters = ["pod"] if pod_bad else []
    if bad_containers:
        setters.append(f"{pluralize('container', 'containers', len(bad_containers))} {join_quote(bad_containers)}")
    return setters


# -- baseline

def app_armor_profile_1_0(meta: dict, spec: dict) -> Result:
    def allowed_type(profile: dict) -> bool:
        return profile.get("type") in ("RuntimeDefault", "Localhost")

    bad_setters: List[str] = []
    bad_values = set()
    pod_sc = _security_context(spec)
    if pod_sc is not None and _set(pod_sc.get("appArmorProfile")):
        profile = _d(pod_sc.get("appArmorProfile"))
        if not allowed_type(profile):
            bad_setters.append("pod")
            bad_values.add(str(profile.get("type") or ""))
    bad_containers = []
    for c in containers(spec):
        sc = _security_context(c)
        if sc is not None and _set(sc.get("appArmorProfile")):
            profile = _d(sc.get("appArmorProfile"))
            if not allowed_type(profile):
                bad_containers.append(_name(c))
                bad_values.add(str(profile.get("type") or ""))
    if bad_containers:
        bad_setters.append(f"{pluralize('container', 'containers', len(bad_containers))} "
                           f"{join_quote(bad_containers)}")
    forbidden_annotations = []
    for key, value in _d(meta.get("annotations")).items():
        if key.startswith("container.apparmor.security.beta.kubernetes.io/") and not (
                not value or value == "runtime/default" or str(value).startswith("localhost/")):
            forbidden_annotations.append(f"{key}={go_quote(value)}")
    bad_value_list = sorted(bad_values)
    if forbidden_annotations:
        bad_value_list += sorted(forbidden_annotations)
        bad_setters.append(pluralize("annotation", "annotations", len(forbidden_annotations)))
    if bad_setters:
        return (pluralize("forbidden AppArmor profile", "forbidden AppArmor profiles", len(bad_value_list)),
                f"{' and '.join(bad_setters)} must not set AppArmor profile type to {join_quote(bad_value_list)}")
    return None


CAPABILITIES_ALLOWED_1_0 = frozenset((
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE", "SETFCAP",
    "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"))


def capabilities_baseline_1_0(meta: dict, spec: dict) -> Result:
    bad_containers = []
    non_default = set()
    for c in containers(spec):
        sc = _security_context(c)
        if sc is not None and _set(sc.get("capabilities")):
            valid = True
            for cap in _l(_d(sc.get("capabilities")).get("add")):
                if cap not in CAPABILITIES_ALLOWED_1_0:
                    valid = False
                    non_default.add(str(cap))
            if not valid:
                bad_containers.append(_name(c))
    if bad_containers:
        return ("non-default capabilities",
                f"{pluralize('container', 'containers', len(bad_containers))} {join_quote(bad_containers)} must not "
                f"include {join_quote(sorted(non_default))} in securityContext.capabilities.add")
    return None


def host_namespaces_1_0(meta: dict, spec: dict) -> Result:
    found = [f"{field}=true" for field in ("hostNetwork", "hostPID", "hostIPC") if spec.get(field) is True]
    if found:
        return "host namespaces", ", ".join(found)
    return None


def host_path_volumes_1_0(meta: dict, spec: dict) -> Result:
    volumes = [str(v.get("name") or "") for v in _l(spec.get("volumes"))
               if isinstance(v, dict) and _set(v.get("hostPath"))]
    if volumes:
        return "hostPath volumes", f"{pluralize('volume', 'volumes', len(volumes))} {join_quote(volumes)}"
    return None


def host_ports_1_0(meta: dict, spec: dict) -> Result:
    bad_containers = []
    ports = set()
    for c in containers(spec):
        valid = True
        for port in _l(c.get("ports")):
            host_port = _d(port).get("hostPort")
            if host_port not in (None, 0):
                valid = False
                ports.add(str(host_port))
        if not valid:
            bad_containers.append(_name(c))
    if bad_containers:
        n = len(bad_containers)
        return ("hostPort",
                f"{pluralize('container', 'containers', n)} {join_quote(bad_containers)} {pluralize('uses', 'use', n)} "
                f"{pluralize('hostPort', 'hostPorts', len(ports))} {', '.join(sorted(ports))}")
    return None


def privileged_1_0(meta: dict, spec: dict) -> Result:
    bad = [_name(c) for c in containers(spec) if _d(_security_context(c)).get("privileged") is True]
    if bad:
        return ("privileged", f"{pluralize('container', 'containers', len(bad))} {join_quote(bad)} must not set "
                              "securityContext.privileged=true")
    return None


def proc_mount_1_0(meta: dict, spec: dict) -> Result:
    bad_containers = []
    types = set()
    for c in containers(spec):
        proc_mount = _d(_security_context(c)).get("procMount")
        if proc_mount is not None and proc_mount != "Default":
            bad_containers.append(_name(c))
            types.add(str(proc_mount))
    if bad_containers:
        return ("procMount",
                f"{pluralize('container', 'containers', len(bad_containers))} {join_quote(bad_containers)} must not "
                f"set securityContext.procMount to {join_quote(sorted(types))}")
    return None


SELINUX_TYPES_1_0 = frozenset(("", "container_t", "container_init_t", "container_kvm_t"))
SELINUX_TYPES_1_31 = SELINUX_TYPES_1_0 | {"container_engine_t"}


def _se_linux_options(allowed_types: frozenset) -> CheckFn:
    def check(meta: dict, spec: dict) -> Result:
        bad_types = set()
        flags = {"user": False, "role": False}

        def valid(opts: dict) -> bool:
            ok = True
            selinux_type = str(opts.get("type") or "")
            if selinux_type not in allowed_types:
                ok = False
                bad_types.add(selinux_type)
            for key in ("user", "role"):
                if opts.get(key):
                    ok = False
                    flags[key] = True
            return ok

        pod_sc = _security_context(spec)
        pod_bad = pod_sc is not None and _set(pod_sc.get("seLinuxOptions")) and not valid(
            _d(pod_sc.get("seLinuxOptions")))
        bad_containers = []
        for c in containers(spec):
            sc = _security_context(c)
            if sc is not None and _set(sc.get("seLinuxOptions")) and not valid(_d(sc.get("seLinuxOptions"))):
                bad_containers.append(_name(c))
        setters = _setters(pod_bad, bad_containers)
        if setters:
            bad_data = []
            if bad_types:
                bad_data.append(f"{pluralize('type', 'types', len(bad_types))} {join_quote(sorted(bad_types))}")
            if flags["user"]:
                bad_data.append("user may not be set")
            if flags["role"]:
                bad_data.append("role may not be set")
            return ("seLinuxOptions", f"{' and '.join(setters)} set forbidden securityContext.seLinuxOptions: "
                                      f"{'; '.join(bad_data)}")
        return None
    return check


SECCOMP_POD_ANNOTATION = "seccomp.security.alpha.kubernetes.io/pod"
SECCOMP_CONTAINER_ANNOTATION_PREFIX = "container.seccomp.security.alpha.kubernetes.io/"


def _valid_seccomp(profile: dict) -> bool:
    return profile.get("type") in ("Localhost", "RuntimeDefault")


def seccomp_profile_baseline_1_0(meta: dict, spec: dict) -> Result:
    """Before 1.19 seccomp was set by annotations."""
    def valid(value) -> bool:
        return value in ("runtime/default", "docker/default") or str(value).startswith("localhost/")

    annotations = _d(meta.get("annotations"))
    forbidden = set()
    if SECCOMP_POD_ANNOTATION in annotations and not valid(annotations[SECCOMP_POD_ANNOTATION]):
        forbidden.add(f"{SECCOMP_POD_ANNOTATION}={go_quote(annotations[SECCOMP_POD_ANNOTATION])}")
    for c in containers(spec):
        key = SECCOMP_CONTAINER_ANNOTATION_PREFIX + _name(c)
        if key in annotations and not valid(annotations[key]):
            forbidden.add(f"{key}={go_quote(annotations[key])}")
    if forbidden:
        return ("seccompProfile", f"forbidden {pluralize('annotation', 'annotations', len(forbidden))} "
                                  f"{', '.join(sorted(forbidden))}")
    return None


def _seccomp(spec: dict, restricted: bool) -> Result:
    bad_values = set()
    pod_bad = pod_set = False
    pod_sc = _security_context(spec)
    if pod_sc is not None and _set(pod_sc.get("seccompProfile")):
        profile = _d(pod_sc.get("seccompProfile"))
        if _valid_seccomp(profile):
            pod_set = True
        else:
            pod_bad = True
            bad_values.add(str(profile.get("type") or ""))
    explicitly_bad, implicitly_bad = [], []
    for c in containers(spec):
        sc = _security_context(c)
        if sc is not None and _set(sc.get("seccompProfile")):
            profile = _d(sc.get("seccompProfile"))
            if not _valid_seccomp(profile):
                explicitly_bad.append(_name(c))
                bad_values.add(str(profile.get("type") or ""))
        elif not pod_set:
            implicitly_bad.append(_name(c))
    setters = _setters(pod_bad, explicitly_bad)
    if setters:
        return ("seccompProfile", f"{' and '.join(setters)} must not set securityContext.seccompProfile.type to "
                                  f"{join_quote(sorted(bad_values))}")
    if restricted and implicitly_bad:
        return ("seccompProfile", f"pod or {pluralize('container', 'containers', len(implicitly_bad))} "
                                  f"{join_quote(implicitly_bad)} must set securityContext.seccompProfile.type to "
                                  '"RuntimeDefault" or "Localhost"')
    return None


def seccomp_profile_baseline_1_19(meta: dict, spec: dict) -> Result:
    return _seccomp(spec, restricted=False)


SYSCTLS_1_0 = frozenset(("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.tcp_syncookies",
                         "net.ipv4.ping_group_range", "net.ipv4.ip_unprivileged_port_start"))
SYSCTLS_1_27 = SYSCTLS_1_0 | {"net.ipv4.ip_local_reserved_ports"}
SYSCTLS_1_29 = SYSCTLS_1_27 | {"net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                               "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes"}
SYSCTLS_1_32 = SYSCTLS_1_29 | {"net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem"}


def _sysctls(allowed: frozenset) -> CheckFn:
    def check(meta: dict, spec: dict) -> Result:
        forbidden = [str(_d(s).get("name") or "") for s in _l(_d(_security_context(spec)).get("sysctls"))
                     if _d(s).get("name") not in allowed]
        if forbidden:
            return "forbidden sysctls", ", ".join(forbidden)
        return None
    return check


def windows_host_process_1_0(meta: dict, spec: dict) -> Result:
    def host_process(sc: Optional[dict]) -> bool:
        return _d(_d(sc).get("windowsOptions")).get("hostProcess") is True

    bad_containers = [_name(c) for c in containers(spec) if host_process(_security_context(c))]
    setters = _setters(host_process(_security_context(spec)), bad_containers)
    if setters:
        return "hostProcess", f"{' and '.join(setters)} must not set securityContext.windowsOptions.hostProcess=true"
    return None


# -- restricted

def allow_privilege_escalation_1_8(meta: dict, spec: dict) -> Result:
    bad = [_name(c) for c in containers(spec) if _d(_security_context(c)).get("allowPrivilegeEscalation") is not False]
    if bad:
        return ("allowPrivilegeEscalation != false", f"{pluralize('container', 'containers', len(bad))} "
                f"{join_quote(bad)} must set securityContext.allowPrivilegeEscalation=false")
    return None


def capabilities_restricted_1_22(meta: dict, spec: dict) -> Result:
    missing_drop_all, adding_forbidden = [], []
    forbidden = set()
    for c in containers(spec):
        sc = _security_context(c)
        if sc is None or not _set(sc.get("capabilities")):
            missing_drop_all.append(_name(c))
            continue
        capabilities = _d(sc.get("capabilities"))
        if "ALL" not in _l(capabilities.get("drop")):
            missing_drop_all.append(_name(c))
        added = [str(cap) for cap in _l(capabilities.get("add")) if cap != "NET_BIND_SERVICE"]
        if added:
            forbidden.update(added)
            adding_forbidden.append(_name(c))
    details = []
    if missing_drop_all:
        details.append(f"{pluralize('container', 'containers', len(missing_drop_all))} {join_quote(missing_drop_all)} "
                       'must set securityContext.capabilities.drop=["ALL"]')
    if adding_forbidden:
        details.append(f"{pluralize('container', 'containers', len(adding_forbidden))} {join_quote(adding_forbidden)} "
                       f"must not include {join_quote(sorted(forbidden))} in securityContext.capabilities.add")
    if details:
        return "unrestricted capabilities", "; ".join(details)
    return None


ALLOWED_VOLUME_TYPES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "persistentVolumeClaim",
                        "projected", "secret")
RESTRICTED_VOLUME_TYPES = ("hostPath", "gcePersistentDisk", "awsElasticBlockStore", "gitRepo", "nfs", "iscsi",
                           "glusterfs", "rbd", "flexVolume", "cinder", "cephfs", "flocker", "fc", "azureFile",
                           "vsphereVolume", "quobyte", "azureDisk", "photonPersistentDisk", "portworxVolume",
                           "scaleIO", "storageos")


def restricted_volumes_1_0(meta: dict, spec: dict) -> Result:
    bad_volumes = []
    bad_types = set()
    for volume in _l(spec.get("volumes")):
        volume = _d(volume)
        if any(_set(volume.get(t)) for t in ALLOWED_VOLUME_TYPES):
            continue
        bad_volumes.append(str(volume.get("name") or ""))
        bad_types.add(next((t for t in RESTRICTED_VOLUME_TYPES if _set(volume.get(t))), "unknown"))
    if bad_volumes:
        n = len(bad_volumes)
        return ("restricted volume types",
                f"{pluralize('volume', 'volumes', n)} {join_quote(bad_volumes)} {pluralize('uses', 'use', n)} "
                f"{pluralize('restricted volume type', 'restricted volume types', len(bad_types))} "
                f"{join_quote(sorted(bad_types))}")
    return None


def run_as_non_root_1_0(meta: dict, spec: dict) -> Result:
    pod_bad = pod_non_root = False
    pod_sc = _security_context(spec)
    if pod_sc is not None and _set(pod_sc.get("runAsNonRoot")):
        if pod_sc.get("runAsNonRoot") is True:
            pod_non_root = True
        else:
            pod_bad = True
    explicitly_bad, implicitly_bad = [], []
    for c in containers(spec):
        sc = _security_context(c)
        if sc is not None and _set(sc.get("runAsNonRoot")):
            if sc.get("runAsNonRoot") is not True:
                explicitly_bad.append(_name(c))
        elif not pod_non_root:
            implicitly_bad.append(_name(c))
    setters = _setters(pod_bad, explicitly_bad)
    if setters:
        return "runAsNonRoot != true", f"{' and '.join(setters)} must not set securityContext.runAsNonRoot=false"
    if implicitly_bad:
        return ("runAsNonRoot != true", f"pod or {pluralize('container', 'containers', len(implicitly_bad))} "
                f"{join_quote(implicitly_bad)} must set securityContext.runAsNonRoot=true")
    return None


def run_as_user_1_23(meta: dict, spec: dict) -> Result:
    pod_bad = _is_zero(_d(_security_context(spec)).get("runAsUser"))
    bad = [_name(c) for c in containers(spec) if _is_zero(_d(_security_context(c)).get("runAsUser"))]
    setters = _setters(pod_bad, bad)
    if setters:
        return "runAsUser=0", f"{' and '.join(setters)} must not set runAsUser=0"
    return None


def seccomp_profile_restricted_1_19(meta: dict, spec: dict) -> Result:
    return _seccomp(spec, restricted=True)


def _not_on_windows(check: CheckFn) -> CheckFn:
    """The 1.25 versions of some restricted checks: pods that declare ``spec.os.name: windows`` pass, since API
    validation refuses those fields on them."""
    def windows_exempt(meta: dict, spec: dict) -> Result:
        return None if _is_windows(spec) else check(meta, spec)
    return windows_exempt


# -- the registry (policy/registry.go)

@dataclass
class VersionedCheck:
    minimum: int           # the first policy version v1.<minimum> this revision applies to
    check: CheckFn
    overrides: Tuple[str, ...] = ()   # baseline checks a restricted check replaces


@dataclass
class Check:
    id: str
    level: str
    versions: List[VersionedCheck] = field(default_factory=list)

    def at(self, minor: int) -> Optional[VersionedCheck]:
        """The revision in force at v1.<minor>, or None when the check is newer."""
        found = None
        for revision in self.versions:
            if revision.minimum <= minor:
                found = revision
        return found


CHECKS: Tuple[Check, ...] = (
    Check("allowPrivilegeEscalation", RESTRICTED, [
        VersionedCheck(8, allow_privilege_escalation_1_8),
        VersionedCheck(25, _not_on_windows(allow_privilege_escalation_1_8))]),
    Check("appArmorProfile", BASELINE, [VersionedCheck(0, app_armor_profile_1_0)]),
    Check("capabilities_baseline", BASELINE, [VersionedCheck(0, capabilities_baseline_1_0)]),
    Check("capabilities_restricted", RESTRICTED, [
        VersionedCheck(22, capabilities_restricted_1_22, ("capabilities_baseline",)),
        VersionedCheck(25, _not_on_windows(capabilities_restricted_1_22), ("capabilities_baseline",))]),
    Check("hostNamespaces", BASELINE, [VersionedCheck(0, host_namespaces_1_0)]),
    Check("hostPathVolumes", BASELINE, [VersionedCheck(0, host_path_volumes_1_0)]),
    Check("hostPorts", BASELINE, [VersionedCheck(0, host_ports_1_0)]),
    Check("privileged", BASELINE, [VersionedCheck(0, privileged_1_0)]),
    Check("procMount", BASELINE, [VersionedCheck(0, proc_mount_1_0)]),
    Check("restrictedVolumes", RESTRICTED, [VersionedCheck(0, restricted_volumes_1_0, ("hostPathVolumes",))]),
    Check("runAsNonRoot", RESTRICTED, [VersionedCheck(0, run_as_non_root_1_0)]),
    Check("runAsUser", RESTRICTED, [VersionedCheck(23, run_as_user_1_23)]),
    Check("seLinuxOptions", BASELINE, [VersionedCheck(0, _se_linux_options(SELINUX_TYPES_1_0)),
                                       VersionedCheck(31, _se_linux_options(SELINUX_TYPES_1_31))]),
    Check("seccompProfile_baseline", BASELINE, [VersionedCheck(0, seccomp_profile_baseline_1_0),
                                                VersionedCheck(19, seccomp_profile_baseline_1_19)]),
    Check("seccompProfile_restricted", RESTRICTED, [
        VersionedCheck(19, seccomp_profile_restricted_1_19, ("seccompProfile_baseline",)),
        VersionedCheck(25, _not_on_windows(seccomp_profile_restricted_1_19), ("seccompProfile_baseline",))]),
    Check("sysctls", BASELINE, [
        VersionedCheck(0, _sysctls(SYSCTLS_1_0)), VersionedCheck(27, _sysctls(SYSCTLS_1_27)),
        VersionedCheck(29, _sysctls(SYSCTLS_1_29)), VersionedCheck(32, _sysctls(SYSCTLS_1_32))]),
    Check("windowsHostProcess", BASELINE, [VersionedCheck(0, windows_host_process_1_0)]),
)


@dataclass
class AggregateResult:
    """The failed checks of one evaluation: their reasons and details, in check order."""

    reasons: List[str] = field(default_factory=list)
    details: List[str] = field(default_factory=list)

    @property
    def allowed(self) -> bool:
        return not self.reasons

    def forbidden_reason(self) -> str:
        """Reasons only, for the pods already in a namespace: ``host ports, privileged``."""
        return ", ".join(self.reasons)

    def forbidden_detail(self) -> str:
        """Reasons with their details in parentheses, for the object being written."""
        return ", ".join(f"{r} ({d})" if d else r for r, d in zip(self.reasons, self.details))


class Evaluator:
    """The checks of every level and version, ordered as upstream orders them (baseline IDs sorted, then
    restricted IDs sorted); a version newer than the newest check revision evaluates as that revision."""

    def __init__(self, checks: Tuple[Check, ...] = CHECKS):
        self.max_minor = max(v.minimum for c in checks for v in c.versions)
        ordered = sorted((c for c in checks if c.level == BASELINE), key=lambda c: c.id) + \
            sorted((c for c in checks if c.level == RESTRICTED), key=lambda c: c.id)
        self._cache: Dict[Tuple[str, int], List[CheckFn]] = {}
        for minor in range(self.max_minor + 1):
            baseline = [(c.id, c.at(minor)) for c in ordered if c.level == BASELINE]
            restricted = [(c.id, c.at(minor)) for c in ordered if c.level == RESTRICTED]
            overridden = {o for _, v in restricted if v is not None for o in v.overrides}
            self._cache[(BASELINE, minor)] = [v.check for _, v in baseline if v is not None]
            self._cache[(RESTRICTED, minor)] = [v.check for cid, v in baseline + restricted
                                                if v is not None and cid not in overridden]

    def evaluate(self, lv: LevelVersion, meta: Optional[dict], spec: Optional[dict]) -> AggregateResult:
        result = AggregateResult()
        if lv.level == PRIVILEGED:
            return result
        version: Version = lv.version
        minor = self.max_minor if version.latest or version.minor > self.max_minor else version.minor
        meta, spec = _d(meta), _d(spec)
        for check in self._cache[(lv.level, minor)]:
            outcome = check(meta, spec)
            if outcome is not None:
                reason, detail = outcome
                result.reasons.append(reason or "unknown forbidden reason")
                result.details.append(detail)
        return result
