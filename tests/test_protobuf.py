"""Tests for apiserver.codec.protobuf: real kubectl bodies, hand-built messages, errors and fuzzing.

The fixtures in tests/data/protobuf/ were captured with /work/shared/tools/kubectl_recorder.py; recapture with
``python tests/test_protobuf.py --capture`` (needs kubectl and the recorder). Each fixture holds the protobuf
body kubectl 1.32 and 1.33 send and, where the command exists there, the JSON body kubectl 1.31 sends for the
same command line.
"""

from __future__ import annotations

import base64
import gzip
import json
import os
import random
import re
import subprocess
import sys
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

import pytest

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from apiserver.codec import protobuf  # noqa: E402
from apiserver.codec.protobuf import PROTOBUF, ProtobufError, decode  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
FIXTURES = os.path.join(HERE, "data", "protobuf")
DATA = os.path.join(os.path.dirname(HERE), "apiserver", "apis", "data", "protobuf.json.gz")
RECORDER = "/work/shared/tools/kubectl_recorder.py"

# (fixture name, kubectl arguments). Files named in arguments are made by capture() in a scratch directory.
CASES: List[Tuple[str, List[str]]] = [
    ("namespace", ["create", "namespace", "ns1"]),
    ("configmap_literal", ["create", "configmap", "cm1", "--from-literal=a=b", "--from-literal=empty="]),
    ("configmap_files", ["create", "configmap", "cm2", "--from-file=greeting.txt", "--from-file=blob.bin"]),
    ("secret_generic", ["create", "secret", "generic", "s1", "--from-literal=user=admin", "--from-file=blob.bin"]),
    ("secret_docker", ["create", "secret", "docker-registry", "reg", "--docker-server=r.example",
                       "--docker-username=u", "--docker-password=p"]),
    ("deployment_replicas0", ["create", "deployment", "d0", "--image=nginx", "--replicas=0"]),
    ("deployment_replicas3", ["create", "deployment", "d3", "--image=nginx", "--replicas=3", "--port=80"]),
    ("job", ["create", "job", "j1", "--image=busybox", "--", "echo", "hi"]),
    ("cronjob", ["create", "cronjob", "cj1", "--image=busybox", "--schedule=*/5 * * * *", "--", "date"]),
    ("token", ["create", "token", "default"]),
    ("token_duration", ["create", "token", "default", "--duration=10m", "--audience=api", "--audience=vault"]),
    ("can_i", ["auth", "can-i", "get", "pods"]),
    ("can_i_subresource", ["auth", "can-i", "create", "deployments.apps", "--subresource=scale", "-n", "kube-system"]),
    ("whoami", ["auth", "whoami"]),
    ("priorityclass", ["create", "priorityclass", "high", "--value=1000", "--description=important",
                       "--preemption-policy=Never"]),
    ("role", ["create", "role", "r1", "--verb=get,list", "--resource=pods,deployments.apps"]),
    ("clusterrole", ["create", "clusterrole", "cr1", "--verb=get", "--non-resource-url=/logs/*"]),
    ("rolebinding", ["create", "rolebinding", "rb1", "--role=r1", "--serviceaccount=default:sa1"]),
    ("clusterrolebinding", ["create", "clusterrolebinding", "crb1", "--clusterrole=view", "--user=alice",
                            "--group=devs"]),
    ("serviceaccount", ["create", "serviceaccount", "sa1"]),
    ("service_clusterip", ["create", "service", "clusterip", "svc1", "--tcp=80:8080"]),
    ("service_named_port", ["create", "service", "clusterip", "svc2", "--tcp=443:https"]),
    ("service_nodeport", ["create", "service", "nodeport", "svc3", "--tcp=80:8080", "--node-port=30080"]),
    ("pdb_min", ["create", "poddisruptionbudget", "pdb1", "--selector=app=web", "--min-available=1"]),
    ("pdb_percent", ["create", "poddisruptionbudget", "pdb2", "--selector=app=web", "--max-unavailable=50%"]),
    ("ingress", ["create", "ingress", "ing1", "--rule=foo.com/bar=svc1:8080,tls=my-cert",
                 "--annotation=a=b", "--class=nginx"]),
    ("quota", ["create", "quota", "q1", "--hard=cpu=1,memory=1G,pods=2,requests.storage=10Gi",
               "--scopes=BestEffort"]),
]


def fixture_names() -> List[str]:
    return sorted(f[:-5] for f in os.listdir(FIXTURES) if f.endswith(".json")) if os.path.isdir(FIXTURES) else []


def load_fixture(name: str) -> dict:
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


def strip_nulls(value: Any) -> Any:
    """Go's JSON writes null for nil slices/maps/pointers and zero Time; the decoder leaves those out."""
    if isinstance(value, dict):
        return {k: strip_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [strip_nulls(v) for v in value]
    return value


# ---- a small encoder driven by the generated tables, for hand-built messages ----

def _varint(n: int) -> bytes:
    n &= 0xFFFFFFFFFFFFFFFF
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def key(num: int, wt: int) -> bytes:
    return _varint(num << 3 | wt)


def vi(num: int, value: int) -> bytes:
    return key(num, 0) + _varint(value)


def ld(num: int, payload: Any) -> bytes:
    if isinstance(payload, str):
        payload = payload.encode()
    return key(num, 2) + _varint(len(payload)) + payload


def envelope(api_version: str, kind: str, raw: bytes, extra: bytes = b"") -> bytes:
    type_meta = (ld(1, api_version) if api_version else b"") + (ld(2, kind) if kind else b"")
    return protobuf.MAGIC + ld(1, type_meta) + ld(2, raw) + extra


_TABLES: Dict[str, Any] = {}


def tables() -> dict:
    if not _TABLES:
        with open(DATA, "rb") as f:
            _TABLES.update(json.loads(gzip.decompress(f.read())))
    return _TABLES


def _find(msg: str, name: str) -> Optional[list]:
    """The field spec [number, json name, type, flags] for a JSON name; an inline field if it holds the name."""
    for spec in tables()["messages"][msg]:
        if spec[3] & 16:
            continue
        if spec[3] & 8:
            if _find(spec[2], name) is not None:
                return spec
        elif spec[1] == name:
            return spec
    return None


def encode_value(typ: str, value: Any) -> Tuple[int, bytes]:
    """(wire type, bytes) for one value of a proto type, from its JSON form."""
    if typ == "string":
        return 2, _varint(len(value.encode())) + value.encode()
    if typ == "bytes":
        raw = base64.b64decode(value)
        return 2, _varint(len(raw)) + raw
    if typ in ("int32", "int64", "bool"):
        return 0, _varint(int(value))
    special = tables()["specials"].get(typ)
    if special == "time" or special == "microtime":
        secs = int(time.mktime(time.strptime(value[:19], "%Y-%m-%dT%H:%M:%S"))) - time.timezone
        nanos = int(value[20:26]) * 1000 if special == "microtime" else 0
        body = vi(1, secs) + (vi(2, nanos) if nanos else b"")
    elif special == "duration":
        body = vi(1, int(value))
    elif special == "intorstring":
        body = vi(1, 1) + ld(3, value) if isinstance(value, str) else vi(1, 0) + vi(2, value)
    elif special == "quantity":
        body = ld(1, value)
    elif special == "rawjson":
        body = ld(1, json.dumps(value, separators=(",", ":")))
    elif special == "list":
        body = b"".join(ld(1, v) for v in value)
    else:
        body = encode_message(typ, value)
    return 2, _varint(len(body)) + body


def encode_message(msg: str, obj: Dict[str, Any]) -> bytes:
    """Encode a JSON-shaped dict as the protobuf message msg (the reverse of the decoder, for tests)."""
    out = bytearray()
    inline: Dict[int, Tuple[list, Dict[str, Any]]] = {}
    for name, value in obj.items():
        if value is None or name in ("apiVersion", "kind") and _find(msg, name) is None:
            continue
        spec = _find(msg, name)
        if spec is None:
            raise KeyError(f"{msg} has no field {name}")
        num, _json, typ, flags = spec
        if flags & 8:
            inline.setdefault(num, (spec, {}))[1][name] = value
        elif typ.startswith("map:"):
            for k, v in value.items():
                wt, enc = encode_value(typ[4:], v)
                entry = ld(1, k) + key(2, wt) + enc
                out += ld(num, entry)
        elif flags & 1:
            for v in value:
                wt, enc = encode_value(typ, v)
                out += key(num, wt) + enc
        else:
            wt, enc = encode_value(typ, value)
            out += key(num, wt) + enc
    for num, (spec, sub) in inline.items():
        out += ld(num, encode_message(spec[2], sub))
    return bytes(out)


def encode(obj: Dict[str, Any]) -> bytes:
    """A full k8s protobuf body for a JSON object with apiVersion and kind."""
    msg = tables()["kinds"][obj["apiVersion"]].get(obj["kind"]) or tables()["meta_kinds"][obj["kind"]]
    return envelope(obj["apiVersion"], obj["kind"], encode_message(msg, obj))


# ---- fixtures from real kubectl ----

@pytest.mark.parametrize("name", fixture_names())
def test_fixture_matches_kubectl_json(name: str) -> None:
    """kubectl 1.32/1.33 protobuf decodes to exactly kubectl 1.31's JSON for the same command line.

    For every captured command the two agree once Go's nulls (nil slices/pointers, zero Time) are dropped:
    no field is set differently by the two kubectl versions, so nothing is excused here.
    """
    fx = load_fixture(name)
    versions = [v for v, req in sorted(fx["requests"].items()) if "hex" in req]
    assert "1.32" in versions and "1.33" in versions, "fixture lacks a protobuf capture"
    for version in versions:
        req = fx["requests"][version]
        assert req["content_type"] == PROTOBUF
        body = bytes.fromhex(req["hex"])
        got = decode(body)
        assert list(got)[:2] == ["apiVersion", "kind"]
        assert None not in got.values()
        js = fx["requests"].get("1.31")
        if js is None or "json" not in js:  # kubectl 1.31 already sent some types (RBAC bindings) as protobuf
            continue
        assert js["content_type"] == "application/json"
        assert js["path"] == req["path"], "1.31 and protobuf capture went to different URLs"
        assert got == strip_nulls(js["json"]), f"{name} kubectl {version}"


def test_fixture_roundtrip_through_test_encoder() -> None:
    """The test encoder and the decoder agree on every 1.31 JSON body (checks the tables both ways)."""
    for name in fixture_names():
        js = load_fixture(name)["requests"].get("1.31")
        if js and "json" in js:
            want = strip_nulls(js["json"])
            assert decode(encode(want)) == want, name


def fixture_body(name: str, version: str = "1.32") -> bytes:
    return bytes.fromhex(load_fixture(name)["requests"][version]["hex"])


def test_configmap_binary_data() -> None:
    got = decode(fixture_body("configmap_files"))
    assert got["data"] == {"greeting.txt": "hello\n"}
    assert base64.b64decode(got["binaryData"]["blob.bin"]) == b"\x00\x01\xff\xfebinary\x80"
    assert decode(fixture_body("configmap_literal"))["data"] == {"a": "b", "empty": ""}


def test_secret_data_is_base64() -> None:
    got = decode(fixture_body("secret_generic"))
    assert got["data"]["user"] == base64.b64encode(b"admin").decode()
    assert base64.b64decode(got["data"]["blob.bin"]) == b"\x00\x01\xff\xfebinary\x80"
    assert "type" not in got  # kubectl leaves it empty for the server to default


def test_deployment_pointer_zero_kept() -> None:
    zero = decode(fixture_body("deployment_replicas0"))
    assert zero["apiVersion"] == "apps/v1" and zero["kind"] == "Deployment"
    assert zero["spec"]["replicas"] == 0  # *int32: present on the wire, so kept although zero
    assert decode(fixture_body("deployment_replicas3"))["spec"]["replicas"] == 3
    container = zero["spec"]["template"]["spec"]["containers"][0]
    assert container == {"name": "nginx", "image": "nginx", "resources": {}}
    assert "creationTimestamp" not in zero["metadata"]  # zero Time: null in Go's JSON, so left out


def test_job_and_cronjob() -> None:
    job = decode(fixture_body("job"))
    assert job["spec"]["template"]["spec"]["containers"][0]["command"] == ["echo", "hi"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    cron = decode(fixture_body("cronjob"))
    assert cron["apiVersion"] == "batch/v1" and cron["spec"]["schedule"] == "*/5 * * * *"


def test_token_request() -> None:
    plain = decode(fixture_body("token"))
    assert plain["apiVersion"] == "authentication.k8s.io/v1" and plain["kind"] == "TokenRequest"
    assert plain["spec"] == {}
    assert plain["status"] == {"token": ""}  # json:"token" has no omitempty; zero expirationTimestamp is null
    timed = decode(fixture_body("token_duration"))
    assert timed["spec"] == {"audiences": ["api", "vault"], "expirationSeconds": 600}


def test_access_reviews() -> None:
    can_i = decode(fixture_body("can_i"))
    assert can_i["kind"] == "SelfSubjectAccessReview"
    assert can_i["spec"]["resourceAttributes"] == {"namespace": "default", "verb": "get", "resource": "pods"}
    assert can_i["status"] == {"allowed": False}  # json:"allowed" has no omitempty
    sub = decode(fixture_body("can_i_subresource"))["spec"]["resourceAttributes"]
    assert sub["group"] == "apps" and sub["subresource"] == "scale" and sub["namespace"] == "kube-system"
    who = decode(fixture_body("whoami"))
    assert who["kind"] == "SelfSubjectReview" and who["apiVersion"] == "authentication.k8s.io/v1"


def test_service_int_or_string() -> None:
    port = decode(fixture_body("service_clusterip"))["spec"]["ports"][0]
    assert port["port"] == 80 and port["targetPort"] == 8080 and port["protocol"] == "TCP"
    named = decode(fixture_body("service_named_port"))["spec"]["ports"][0]
    assert named["targetPort"] == "https"
    assert decode(fixture_body("pdb_min"))["spec"]["minAvailable"] == 1
    assert decode(fixture_body("pdb_percent"))["spec"]["maxUnavailable"] == "50%"


def test_quota_quantities_and_rbac() -> None:
    quota = decode(fixture_body("quota"))
    assert quota["spec"]["hard"] == {"cpu": "1", "memory": "1G", "pods": "2", "requests.storage": "10Gi"}
    assert quota["spec"]["scopes"] == ["BestEffort"]
    role = decode(fixture_body("role"))
    assert role["rules"][1] == {"verbs": ["get", "list"], "apiGroups": ["apps"], "resources": ["deployments"]}
    # no JSON reference for this one (kubectl 1.31 sent protobuf too): the whole object, as Go's JSON has it
    assert decode(fixture_body("clusterrolebinding")) == {
        "apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "crb1"},
        "subjects": [{"kind": "User", "apiGroup": "rbac.authorization.k8s.io", "name": "alice"},
                     {"kind": "Group", "apiGroup": "rbac.authorization.k8s.io", "name": "devs"}],
        "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "view"}}
    prio = decode(fixture_body("priorityclass"))
    assert prio["value"] == 1000 and prio["preemptionPolicy"] == "Never"


def test_protobuf_captures_agree() -> None:
    """kubectl 1.33 (and 1.31 where it already used protobuf) send what 1.32 sends."""
    for name in fixture_names():
        reqs = load_fixture(name)["requests"]
        want = decode(bytes.fromhex(reqs["1.32"]["hex"]))
        for version in ("1.31", "1.33"):
            if "hex" in reqs.get(version, {}):
                assert decode(bytes.fromhex(reqs[version]["hex"])) == want, (name, version)


# ---- hand-built messages ----

def meta(name: str = "x") -> bytes:
    return ld(1, ld(1, name))


def test_time_and_micro_time() -> None:
    ts = 1704164645  # 2024-01-02T03:04:05Z
    obj_meta = ld(1, "x") + ld(8, vi(1, ts) + vi(2, 999_000_000)) + ld(9, vi(1, 0))
    got = decode(envelope("v1", "ConfigMap", ld(1, obj_meta)))
    # Time keeps whole seconds only, like upstream; a Timestamp of 0 is the Unix epoch, not the zero time
    assert got["metadata"] == {"name": "x", "creationTimestamp": "2024-01-02T03:04:05Z",
                               "deletionTimestamp": "1970-01-01T00:00:00Z"}
    zero = decode(envelope("v1", "ConfigMap", ld(1, ld(8, b"") + ld(9, vi(1, -62135596800)))))
    assert zero["metadata"] == {}
    lease = envelope("coordination.k8s.io/v1", "Lease",
                     meta() + ld(2, ld(3, vi(1, ts) + vi(2, 123_456_789)) + ld(4, vi(1, ts))))
    spec = decode(lease)["spec"]
    assert spec == {"acquireTime": "2024-01-02T03:04:05.123456Z", "renewTime": "2024-01-02T03:04:05.000000Z"}
    early = decode(envelope("v1", "ConfigMap", ld(1, ld(8, vi(1, -62135596800 + 86400 * 400)))))
    assert early["metadata"]["creationTimestamp"] == "0002-02-05T00:00:00Z"
    with pytest.raises(ProtobufError):
        decode(envelope("v1", "ConfigMap", ld(1, ld(8, vi(1, 1 << 62)))))


def test_duration() -> None:
    cases = {0: "0s", 1: "1ns", 1500: "1.5µs", 2_000_000: "2ms", 1_500_000_000: "1.5s", 3723_000_000_000: "1h2m3s",
             60_000_000_000: "1m0s", 3600_000_000_000: "1h0m0s", -90_000_000_000: "-1m30s",
             -(1 << 63): "-2562047h47m16.854775808s"}
    for nanos, text in cases.items():
        assert protobuf._go_duration(nanos) == text
    # no k8s.io/api type has a Duration field today (meta/v1 defines it): check the special decoder directly
    duration = protobuf._tables().fields["k8s.io.apimachinery.pkg.apis.meta.v1.Duration"]
    raw = vi(1, 3723_000_000_000)
    assert protobuf._special(raw, 0, len(raw), protobuf._DURATION, duration, 0) == "1h2m3s"
    assert protobuf._special(b"", 0, 0, protobuf._DURATION, duration, 0) == "0s"


def test_int_or_string_and_quantity() -> None:
    ports = ld(2, ld(1, ld(1, "http") + vi(3, 80) + ld(4, vi(1, 0) + vi(2, 8080)))
                  + ld(1, ld(1, "https") + vi(3, 443) + ld(4, vi(1, 1) + ld(3, "web")))
                  + ld(1, vi(3, 81) + ld(4, b"")))  # empty IntOrString: type Int, value 0
    got = decode(envelope("v1", "Service", meta() + ports))
    assert [p.get("targetPort") for p in got["spec"]["ports"]] == [8080, "web", 0]
    with pytest.raises(ProtobufError, match="IntOrString"):
        decode(envelope("v1", "Service", meta() + ld(2, ld(1, vi(3, 80) + ld(4, vi(1, 7))))))
    # negative int32 is sent as a 10-byte varint
    neg = decode(envelope("v1", "Service", meta() + ld(2, ld(1, vi(3, -5) + ld(4, vi(2, -1))))))
    assert neg["spec"]["ports"][0] == {"port": -5, "targetPort": -1}
    hard = ld(1, ld(1, "cpu") + ld(2, ld(1, "500m"))) + ld(1, ld(1, "odd") + ld(2, b""))
    quota = decode(envelope("v1", "ResourceQuota", meta() + ld(2, hard)))
    assert quota["spec"]["hard"] == {"cpu": "500m", "odd": "0"}  # an empty Quantity is zero, "0" in JSON


def test_raw_extension() -> None:
    inner = envelope("v1", "ConfigMap", meta("inner") + ld(2, ld(1, "k") + ld(2, "v")))
    items = ld(2, ld(1, b'{"apiVersion":"v1","kind":"Pod","metadata":{"name":"p"}}')) + ld(2, ld(1, inner)) \
        + ld(2, b"") + ld(2, ld(1, b" [1, 2]"))
    got = decode(envelope("v1", "List", ld(1, b"") + items))
    assert got["items"] == [
        {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}},
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "inner"}, "data": {"k": "v"}},
        None,  # an empty RawExtension is null in Go's JSON; inside a list it stays
        [1, 2],
    ]
    for bad in (b"\xd9\xd9\xf7\xa0", b"{not json", b"NaN", b"\xff{}"):
        with pytest.raises(ProtobufError):
            decode(envelope("v1", "List", ld(2, ld(1, bad))))
    # a ControllerRevision's data with no raw bytes is null: left out
    assert "data" not in decode(envelope("apps/v1", "ControllerRevision", meta() + ld(2, b"") + vi(3, 1)))


def test_bytes_maps_and_repeated() -> None:
    secret = meta() + ld(2, ld(1, "bin") + ld(2, b"\x00\xff")) + ld(2, ld(1, "empty")) \
        + ld(4, ld(1, "plain") + ld(2, "text")) + ld(3, "Opaque")
    got = decode(envelope("v1", "Secret", secret))
    assert got["data"] == {"bin": "AP8=", "empty": ""}
    assert got["stringData"] == {"plain": "text"} and got["type"] == "Opaque"
    # CertificateSigningRequestSpec.request is []byte without omitempty: an empty value stays ""
    csr = decode(envelope("certificates.k8s.io/v1", "CertificateSigningRequest",
                          meta() + ld(2, ld(1, b"") + ld(7, "s"))))
    assert csr["spec"] == {"request": "", "signerName": "s"}
    # PodSecurityContext.supplementalGroups: []int64, packed and unpacked both accepted and concatenated
    packed = key(4, 2) + _varint(3) + _varint(1) + _varint(2) + _varint(3)
    sc = packed + vi(4, 4) + vi(4, -1)
    pod = decode(envelope("v1", "Pod", meta() + ld(2, ld(14, sc))))
    assert pod["spec"]["securityContext"]["supplementalGroups"] == [1, 2, 3, 4, -1]
    # a map entry may repeat a key: the last one wins, as in Go
    labels = ld(11, ld(1, "a") + ld(2, "1")) + ld(11, ld(1, "a") + ld(2, "2")) + ld(11, ld(2, "nokey"))
    cm = decode(envelope("v1", "ConfigMap", ld(1, labels)))
    assert cm["metadata"]["labels"] == {"a": "2", "": "nokey"}
    # authentication ExtraValue: a message on the wire, a plain list in JSON
    extra = ld(4, ld(1, "scopes") + ld(2, ld(1, "a") + ld(1, "b")))
    ssr = decode(envelope("authentication.k8s.io/v1", "TokenReview", meta() + ld(3, ld(2, extra))))
    assert ssr["status"]["user"]["extra"] == {"scopes": ["a", "b"]}


def test_omitempty_and_pointers() -> None:
    # DeploymentSpec: replicas *int32 (kept at 0), minReadySeconds int32 omitempty (0 left out),
    # paused bool omitempty (false left out), revisionHistoryLimit *int32 (kept at 0)
    spec = vi(1, 0) + vi(5, 0) + vi(7, 0) + vi(6, 0)
    got = decode(envelope("apps/v1", "Deployment", meta() + ld(2, spec)))
    assert got["spec"] == {"replicas": 0, "revisionHistoryLimit": 0}
    # a later zero overrides an earlier value, and the field then goes, as Go's JSON would drop it
    got = decode(envelope("apps/v1", "Deployment", meta() + ld(2, vi(5, 7) + vi(5, 0) + vi(7, 1))))
    assert got["spec"] == {"paused": True}
    # SubjectAccessReviewStatus.allowed has no omitempty: false stays
    sar = decode(envelope("authorization.k8s.io/v1", "SubjectAccessReview", meta() + ld(3, vi(1, 0))))
    assert sar["status"] == {"allowed": False}
    # structs are never omitted (Go's omitempty ignores them): empty spec/status stay {}
    assert decode(envelope("v1", "Namespace", meta() + ld(2, b"") + ld(3, b""))) == {
        "apiVersion": "v1", "kind": "Namespace", "metadata": {"name": "x"}, "spec": {}, "status": {}}
    # a message field sent twice is merged, as Go's generated Unmarshal does
    merged = decode(envelope("v1", "ConfigMap", ld(1, ld(1, "a")) + ld(1, ld(3, "ns"))))
    assert merged["metadata"] == {"name": "a", "namespace": "ns"}


def test_inline_fields() -> None:
    # Volume embeds VolumeSource (json inline): its fields appear directly in the volume
    vol = ld(1, "cfg") + ld(2, ld(19, ld(1, ld(1, "cm")) + vi(3, 420)))
    pod = decode(envelope("v1", "Pod", meta() + ld(2, ld(1, vol))))
    assert pod["spec"]["volumes"] == [{"name": "cfg", "configMap": {"name": "cm", "defaultMode": 420}}]


def test_unknown_fields_skipped() -> None:
    unknown = vi(99, 5) + key(98, 1) + b"12345678" + key(97, 5) + b"1234" + ld(96, b"whatever") \
        + key(95, 3) + vi(1, 1) + ld(2, b"x") + key(95, 4)
    got = decode(envelope("v1", "ConfigMap", ld(1, ld(1, "x") + unknown) + unknown + ld(2, ld(1, "a") + ld(2, "b")),
                          extra=unknown + ld(3, "gzip") + ld(4, PROTOBUF)))
    assert got == {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "x"}, "data": {"a": "b"}}


def test_invalid_utf8_like_go() -> None:
    got = decode(envelope("v1", "ConfigMap", ld(1, ld(1, b"a\xffb\xe2\x82c\xed\xa0\x80"))))
    # Go's JSON encoder writes U+FFFD for each byte that does not start a valid UTF-8 sequence
    assert got["metadata"]["name"] == "a\ufffdb\ufffd\ufffdc\ufffd\ufffd\ufffd"


def test_covers_builtin_group_versions() -> None:
    gvs = tables()["kinds"]
    for gv, kind in [("v1", "Pod"), ("apps/v1", "StatefulSet"), ("batch/v1", "CronJob"),
                     ("autoscaling/v1", "HorizontalPodAutoscaler"), ("autoscaling/v2", "HorizontalPodAutoscaler"),
                     ("autoscaling/v2beta2", "HorizontalPodAutoscaler"), ("coordination.k8s.io/v1", "Lease"),
                     ("events.k8s.io/v1", "Event"), ("discovery.k8s.io/v1", "EndpointSlice"),
                     ("networking.k8s.io/v1", "NetworkPolicy"), ("policy/v1", "Eviction"),
                     ("rbac.authorization.k8s.io/v1", "ClusterRole"), ("storage.k8s.io/v1", "StorageClass"),
                     ("scheduling.k8s.io/v1", "PriorityClass"), ("authentication.k8s.io/v1", "TokenReview"),
                     ("authorization.k8s.io/v1", "LocalSubjectAccessReview"),
                     ("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration"),
                     ("certificates.k8s.io/v1", "CertificateSigningRequest"), ("node.k8s.io/v1", "RuntimeClass"),
                     ("flowcontrol.apiserver.k8s.io/v1", "FlowSchema"), ("resource.k8s.io/v1beta1", "ResourceClaim"),
                     ("autoscaling/v1", "Scale"), ("meta.k8s.io/v1", "PartialObjectMetadata")]:
        assert kind in gvs[gv], (gv, kind)
        assert protobuf.known_kind(gv, kind)
    assert "apiextensions.k8s.io/v1" not in gvs  # CRDs are not in k8s.io/api and never sent as protobuf


def test_accepts_bytearray_and_memoryview() -> None:
    body = fixture_body("namespace")
    assert decode(bytearray(body)) == decode(memoryview(body)) == decode(body)


def test_defaults_from_request() -> None:
    raw = meta("x")
    assert decode(envelope("", "", raw), "v1", "ConfigMap")["kind"] == "ConfigMap"
    assert decode(envelope("v1", "", raw), "apps/v1", "ConfigMap")["apiVersion"] == "v1"
    # meta types decode under any known group version, as upstream registers them everywhere
    opts = decode(envelope("apps/v1", "DeleteOptions", ld(4, "Foreground") + ld(5, "All")))
    assert opts == {"apiVersion": "apps/v1", "kind": "DeleteOptions", "propagationPolicy": "Foreground",
                    "dryRun": ["All"]}
    status = decode(envelope("v1", "Status", ld(1, b"") + ld(2, "Failure") + vi(6, 404)))
    assert status == {"apiVersion": "v1", "kind": "Status", "metadata": {}, "status": "Failure", "code": 404}
    assert protobuf.known_kind("apps/v1", "Deployment") and not protobuf.known_kind("example.com/v1", "Foo")


# ---- errors and fuzzing ----

@pytest.mark.parametrize("body,match", [
    (b"", "empty"),
    (b"k8s\x00", "empty"),
    (b"{\"kind\":\"ConfigMap\"}", "prefix"),
    (b"k8s\x01\x0a\x00", "prefix"),
    (b"k8s\x00\x0a", "truncated"),
    (b"k8s\x00\x0a\x05\x0a\x02v1", "truncated"),
    (b"k8s\x00" + b"\xff" * 11, "varint"),
    (b"k8s\x00\x08\x01", "wire type"),
    (b"k8s\x00\x07", "wire type"),
    (b"k8s\x00\x00", "field number 0"),
    (b"k8s\x00\x2c", "end-group"),
    (b"k8s\x00\x2b", "group"),
    (b"k8s\x00\x0b", "wire type 3"),
])
def test_envelope_errors(body: bytes, match: str) -> None:
    with pytest.raises(ProtobufError, match=match):
        decode(body)


def test_type_errors() -> None:
    with pytest.raises(ProtobufError, match="no kind"):
        decode(envelope("v1", "", meta()))
    with pytest.raises(ProtobufError, match="no apiVersion"):
        decode(envelope("", "ConfigMap", meta()))
    with pytest.raises(ProtobufError, match="no protobuf type"):
        decode(envelope("v1", "Deployment", meta()))
    with pytest.raises(ProtobufError, match="no protobuf type"):
        decode(envelope("stable.example.com/v1", "CronTab", meta()))
    with pytest.raises(ProtobufError, match="wrong wire type 0 for field 'metadata'"):
        decode(envelope("v1", "ConfigMap", vi(1, 1)))
    with pytest.raises(ProtobufError, match="wrong wire type 2 for field 'replicas'"):
        decode(envelope("apps/v1", "Deployment", ld(2, ld(1, b"\x01"))))
    with pytest.raises(ProtobufError, match="wrong wire type 5"):
        decode(envelope("v1", "ConfigMap", ld(1, key(1, 5) + b"abcd")))
    with pytest.raises(ProtobufError, match="map"):
        decode(envelope("v1", "ConfigMap", ld(2, vi(1, 3))))
    with pytest.raises(ProtobufError, match="bytes"):
        decode("k8s\x00")  # type: ignore[arg-type]


def test_nesting_limit() -> None:
    body = envelope("v1", "ConfigMap", meta())
    for _ in range(60):  # each List -> RawExtension -> envelope hop adds nesting levels
        body = envelope("v1", "List", ld(2, ld(1, body)))
    with pytest.raises(ProtobufError, match="nesting"):
        decode(body)
    group = key(50, 3) * 150 + key(50, 4) * 150
    with pytest.raises(ProtobufError, match="nesting"):
        decode(envelope("v1", "ConfigMap", group))
    shallow = key(50, 3) * 20 + key(50, 4) * 20
    assert decode(envelope("v1", "ConfigMap", shallow + meta()))["metadata"] == {"name": "x"}
    deep_json = b"[" * 100000 + b"]" * 100000
    with pytest.raises(ProtobufError):
        decode(envelope("v1", "List", ld(2, ld(1, deep_json))))


def _assert_only_protobuf_error(body: bytes) -> None:
    try:
        decode(body)
    except ProtobufError:
        pass


def test_fuzz_random_bytes() -> None:
    rng = random.Random(1234)
    kinds = [("v1", "ConfigMap"), ("v1", "Pod"), ("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "List"),
             ("authentication.k8s.io/v1", "TokenRequest"), ("coordination.k8s.io/v1", "Lease")]
    for i in range(3000):
        raw = bytes(rng.getrandbits(8) for _ in range(rng.randrange(0, 64)))
        if i % 3 == 0:
            _assert_only_protobuf_error(raw)
        elif i % 3 == 1:
            _assert_only_protobuf_error(protobuf.MAGIC + raw)
        else:
            av, kind = kinds[i % len(kinds)]
            _assert_only_protobuf_error(envelope(av, kind, raw))


def test_fuzz_truncated_and_mutated_fixtures() -> None:
    rng = random.Random(99)
    bodies = [fixture_body(n) for n in fixture_names()]
    assert bodies
    for body in bodies:
        for cut in range(len(body)):
            _assert_only_protobuf_error(body[:cut])
        for _ in range(150):
            mutated = bytearray(body)
            for _ in range(rng.randrange(1, 4)):
                pos = rng.randrange(4, len(mutated))
                mutated[pos] = rng.getrandbits(8) if rng.random() < 0.7 else mutated[pos] ^ 0x80
            _assert_only_protobuf_error(bytes(mutated))


# ---- performance ----

def _big_deployment() -> Dict[str, Any]:
    containers = []
    for i in range(5):
        containers.append({
            "name": f"c{i}", "image": f"registry.example/app{i}:1.2.{i}", "command": ["/bin/app", "--serve"],
            "args": ["--port=8080", f"--id={i}"], "workingDir": "/srv",
            "ports": [{"name": "http", "containerPort": 8080, "protocol": "TCP"},
                      {"name": "metrics", "containerPort": 9090, "protocol": "TCP"}],
            "env": [{"name": f"VAR{j}", "value": f"value{j}"} for j in range(6)]
            + [{"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}],
            "resources": {"limits": {"cpu": "1", "memory": "512Mi"}, "requests": {"cpu": "250m", "memory": "128Mi"}},
            "volumeMounts": [{"name": "cfg", "mountPath": "/etc/app", "readOnly": True}],
            "livenessProbe": {"httpGet": {"path": "/healthz", "port": 8080, "scheme": "HTTP"},
                              "initialDelaySeconds": 5, "timeoutSeconds": 1, "periodSeconds": 10,
                              "successThreshold": 1, "failureThreshold": 3},
            "readinessProbe": {"tcpSocket": {"port": "http"}, "timeoutSeconds": 1, "periodSeconds": 10,
                               "successThreshold": 1, "failureThreshold": 3},
            "terminationMessagePath": "/dev/termination-log", "terminationMessagePolicy": "File",
            "imagePullPolicy": "IfNotPresent",
            "securityContext": {"runAsNonRoot": True, "runAsUser": 1000, "allowPrivilegeEscalation": False,
                                "capabilities": {"drop": ["ALL"]}},
        })
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "default", "labels": {"app": "web", "tier": "frontend"},
                     "annotations": {"deployment.kubernetes.io/revision": "3"}, "generation": 3,
                     "creationTimestamp": "2024-01-02T03:04:05Z", "uid": "0b1c5f2e-4a7b-4c1d-9e8f-123456789abc",
                     "resourceVersion": "12345"},
        "spec": {"replicas": 3, "selector": {"matchLabels": {"app": "web"}},
                 "template": {"metadata": {"labels": {"app": "web"}},
                              "spec": {"containers": containers, "restartPolicy": "Always",
                                       "terminationGracePeriodSeconds": 30, "dnsPolicy": "ClusterFirst",
                                       "serviceAccountName": "web", "schedulerName": "default-scheduler",
                                       "volumes": [{"name": "cfg", "configMap": {"name": "web", "defaultMode": 420}}],
                                       "securityContext": {"fsGroup": 2000}}},
                 "strategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "25%", "maxSurge": "25%"}},
                 "revisionHistoryLimit": 10, "progressDeadlineSeconds": 600},
        "status": {},
    }


def test_decode_speed() -> None:
    obj = _big_deployment()
    body = encode(obj)
    assert decode(body) == obj
    decode(body)  # tables loaded
    n, best = 200, float("inf")
    for _ in range(5):
        start = time.perf_counter()
        for _ in range(n):
            decode(body)
        best = min(best, (time.perf_counter() - start) / n)
    print(f"\ndecode Deployment with 5 containers ({len(body)} bytes): {best * 1e6:.0f} µs")
    assert best < 1e-3


def test_load_time() -> None:
    protobuf._tables.cache_clear()
    start = time.perf_counter()
    protobuf._tables()
    print(f"\nload protobuf tables: {(time.perf_counter() - start) * 1e3:.1f} ms, "
          f"data file {os.path.getsize(DATA)} bytes")


# ---- capture (python tests/test_protobuf.py --capture) ----

def _parse_recorder(text: str) -> List[Dict[str, Any]]:
    requests: List[Dict[str, Any]] = []
    for line in text.split("\n"):
        m = re.match(r"^(GET|POST|PUT|PATCH|DELETE) (\S+)$", line)
        if m:
            requests.append({"method": m.group(1), "path": m.group(2)})
        elif requests and line.startswith("  Content-Type: "):
            requests[-1]["content_type"] = line.split(": ", 1)[1]
        elif requests and line.startswith("  body: "):
            requests[-1]["body"] = line.split(": ", 1)[1]
    return requests


def capture() -> None:
    """Run every case through the recorder with kubectl 1.31, 1.32 and 1.33; write one fixture per case."""
    os.makedirs(FIXTURES, exist_ok=True)
    with tempfile.TemporaryDirectory() as scratch:
        with open(os.path.join(scratch, "greeting.txt"), "w") as f:
            f.write("hello\n")
        with open(os.path.join(scratch, "blob.bin"), "wb") as f:
            f.write(b"\x00\x01\xff\xfebinary\x80")
        for name, args in CASES:
            fixture: Dict[str, Any] = {"kubectl": args, "requests": {}}
            for version in ("1.31", "1.32", "1.33"):
                proc = subprocess.run([sys.executable, RECORDER, "--version", version, "--", "kubectl", *args],
                                      cwd=scratch, capture_output=True, text=True, timeout=120)
                bodies = [r for r in _parse_recorder(proc.stdout)
                          if r["method"] in ("POST", "PUT") and r.get("body")]
                if not bodies:
                    print(f"{name} {version}: no body sent ({proc.stderr.strip()[:200]})")
                    continue
                req = bodies[0]
                body = req.pop("body")
                if len(body) >= 2000:
                    raise SystemExit(f"{name} {version}: body truncated by the recorder")
                if body.startswith("hex:"):
                    req["hex"] = body[4:]
                else:
                    req["json"] = json.loads(body)
                fixture["requests"][version] = req
            with open(os.path.join(FIXTURES, name + ".json"), "w") as f:
                json.dump(fixture, f, indent=1, sort_keys=True)
                f.write("\n")
            print(name, sorted(fixture["requests"]))


if __name__ == "__main__":
    if sys.argv[1:] == ["--capture"]:
        capture()
    else:
        sys.exit(pytest.main([__file__, "-q", "-p", "no:cacheprovider"]))
