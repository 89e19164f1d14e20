#!/usr/bin/env python3
"""Generate ``apiserver/apis/data/protobuf.json.gz``: protobuf field tables for the built-in API types.

Usage: ``scripts/gen_protobuf.py [--ref REF] [--release 1.32] API_GIT_DIR APIMACHINERY_GIT_DIR [OUTPUT]``

The two arguments are bare git directories of ``k8s.io/api`` and ``k8s.io/apimachinery`` (e.g. the snapshots the
``fetch`` tool brings; nothing from them is kept but the generated tables). Protobuf field numbers never change,
but newer sources drop old group/versions and sometimes retouch json tags, so the tables are built from ``HEAD``
and from the newest ``v0.32.x`` tag (``--release``), the release's definitions winning; see :func:`merge`.

``generated.proto`` supplies each message's fields: number, proto type (fully resolved, also across packages),
repeated and map. The Go structs supply what the JSON form needs: the json name, omitempty, inline
(embedded structs whose fields JSON flattens into the parent) and pointer-ness (pointer scalars keep zero values).
``register.go`` supplies the group name and the kinds registered in each group/version.

Output (gzip of compact, key-sorted JSON)::

    {"messages": {"k8s.io.api.core.v1.Secret": [[number, json_name, type, flags], ...], ...},
     "specials": {"k8s.io.apimachinery.pkg.apis.meta.v1.Time": "time", ...},
     "kinds": {"v1": {"Secret": "k8s.io.api.core.v1.Secret", ...}, "apps/v1": {...}, ...},
     "meta_kinds": {"DeleteOptions": "k8s.io.apimachinery.pkg.apis.meta.v1.DeleteOptions", ...}}

type is one of ``string bytes bool int32 int64``, a message name, or ``map:<value type>`` (keys are always
strings). flags: 1 repeated, 2 omitempty, 4 Go pointer, 8 inline, 16 not in JSON (``json:"-"``).
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import subprocess
import sys
from typing import Dict, List, Optional, Tuple

REPEATED, OMITEMPTY, POINTER, INLINE, NOJSON = 1, 2, 4, 8, 16
SCALARS = {"string", "bytes", "bool", "int32", "int64"}

AM = "k8s.io.apimachinery.pkg."
META = AM + "apis.meta.v1."
# Types whose JSON form is not their struct form (custom MarshalJSON); the decoder special-cases these names.
SPECIALS = {
    META + "Time": "time",
    META + "MicroTime": "microtime",
    META + "Duration": "duration",
    META + "FieldsV1": "rawjson",
    AM + "api.resource.QuantityValue": "quantity",
    AM + "runtime.RawExtension": "rawjson",
    AM + "util.intstr.IntOrString": "intorstring",
    AM + "api.resource.Quantity": "quantity",
}
# apimachinery packages that hold protobuf types referenced from k8s.io/api.
AM_DIRS = ["pkg/apis/meta/v1", "pkg/apis/meta/v1beta1", "pkg/api/resource", "pkg/util/intstr", "pkg/runtime",
           "pkg/runtime/schema"]


def git(gitdir: str, *args: str) -> str:
    """Run a read-only git command against a bare repository."""
    return subprocess.run(["git", "--git-dir", gitdir, *args], check=True, capture_output=True,
                          text=True).stdout


class Repo:
    """Read files at one commit of a bare git directory."""

    def __init__(self, gitdir: str, ref: str = "HEAD"):
        self.gitdir, self.ref = gitdir, ref
        self.files = git(gitdir, "ls-tree", "-r", "--name-only", ref).split("\n")

    def show(self, path: str) -> str:
        return git(self.gitdir, "show", f"{self.ref}:{path}")

    def go_files(self, pkgdir: str) -> List[str]:
        """Non-test, non-generated Go files directly in pkgdir."""
        out = []
        for f in self.files:
            if os.path.dirname(f) != pkgdir or not f.endswith(".go"):
                continue
            base = os.path.basename(f)
            if base.endswith("_test.go") or base.startswith("zz_generated") or base == "generated.pb.go":
                continue
            out.append(f)
        return sorted(out)


# ---- generated.proto ----

PROTO_FIELD = re.compile(r"^\s*(optional|repeated|required) (\S+) (\w+) = (\d+)\s*(?:\[[^\]]*\])?;")
PROTO_MAP = re.compile(r"^\s*map<\s*(\S+)\s*,\s*(\S+)\s*> (\w+) = (\d+);")


def parse_proto(text: str) -> Tuple[str, str, Dict[str, List[Tuple[int, str, str, bool]]]]:
    """Return (proto package, go package, {message: [(number, proto name, type, repeated)]})."""
    package = go_package = ""
    messages: Dict[str, List[Tuple[int, str, str, bool]]] = {}
    current: Optional[str] = None

    def resolve(t: str) -> str:
        if t in SCALARS:
            return t
        if t in ("uint32", "uint64", "sint32", "sint64", "fixed32", "fixed64", "double", "float"):
            raise SystemExit(f"unsupported proto scalar {t} in {package}")
        return t[1:] if t.startswith(".") else f"{package}.{t}"

    for raw in text.split("\n"):
        line = raw.split("//", 1)[0].rstrip()
        if not line.strip():
            continue
        m = re.match(r"^package ([\w.]+);", line)
        if m:
            package = m.group(1)
            continue
        m = re.match(r'^option go_package = "([^"]+)";', line)
        if m:
            go_package = m.group(1)
            continue
        m = re.match(r"^message (\w+) \{", line)
        if m:
            current = m.group(1)
            messages[current] = []
            if line.rstrip().endswith("}"):
                current = None
            continue
        if line.startswith("}"):
            current = None
            continue
        if current is None:
            continue
        m = PROTO_FIELD.match(line)
        if m:
            label, typ, name, num = m.groups()
            messages[current].append((int(num), name, resolve(typ), label == "repeated"))
            continue
        m = PROTO_MAP.match(line)
        if m:
            key, value, name, num = m.groups()
            if key != "string":
                raise SystemExit(f"unsupported map key {key} in {package}.{current}")
            messages[current].append((int(num), name, "map:" + resolve(value), False))
            continue
        if re.match(r"^\s*(message|enum|oneof|extend)\b", line):
            raise SystemExit(f"unsupported proto construct in {package}.{current}: {line.strip()}")
    return package, go_package, messages


# ---- Go structs ----

GO_TYPE_START = re.compile(r"^type (\w+) (struct \{|\S.*)$")
GO_FIELD = re.compile(r"^\s*(?:(\w+)\s+)?(\S+)\s+`([^`]*)`")


def tag_value(tag: str, key: str) -> Optional[str]:
    m = re.search(r'(?:^|\s)' + key + r':"([^"]*)"', tag)
    return m.group(1) if m else None


class GoField:
    """One Go struct field that has a protobuf tag."""

    def __init__(self, go_name: str, go_type: str, number: int, json_name: Optional[str], omitempty: bool,
                 omitzero: bool = False):
        self.go_name, self.go_type, self.number = go_name, go_type, number
        self.json_name, self.omitempty, self.omitzero = json_name, omitempty, omitzero


def parse_imports(text: str) -> Dict[str, str]:
    """Map import alias to import path for one Go file."""
    out = {}
    for alias, path in re.findall(r'^\s*(?:import\s+)?(\w+\s+)?"([\w./-]+)"\s*$', text, re.M):
        out[alias.strip() or path.rsplit("/", 1)[-1]] = path
    return out


def parse_go(texts: List[str]) -> Tuple[Dict[str, Dict[int, GoField]], Dict[str, str]]:
    """Return ({struct: {proto number: GoField}}, {named non-struct type: underlying type}).

    A type defined as another package's struct (``type List metav1.List``) comes back in the second map
    with the import path spelled out: ``k8s.io/apimachinery/pkg/apis/meta/v1.List``.
    """
    structs: Dict[str, Dict[int, GoField]] = {}
    named: Dict[str, str] = {}
    for text in texts:
        imports = parse_imports(text)
        lines = text.split("\n")
        i = 0
        while i < len(lines):
            m = GO_TYPE_START.match(lines[i])
            i += 1
            if not m:
                continue
            name, rest = m.groups()
            rest = rest.split("//", 1)[0].strip()
            if rest == "struct{}":
                structs[name] = {}
                continue
            if rest != "struct {":
                qm = re.fullmatch(r"(\w+)\.(\w+)", rest)
                if qm and qm.group(1) in imports:
                    rest = f"{imports[qm.group(1)]}.{qm.group(2)}"
                named[name] = rest
                continue
            fields: Dict[int, GoField] = {}
            while i < len(lines) and not lines[i].startswith("}"):
                line = lines[i]
                i += 1
                if line.strip().startswith("//"):
                    continue
                fm = GO_FIELD.match(line)
                if not fm:
                    continue
                go_name, go_type, tag = fm.groups()
                proto = tag_value(tag, "protobuf")
                if not proto or proto == "-":
                    continue
                embedded = go_name is None
                if embedded:
                    go_name = go_type.lstrip("*").split(".")[-1]
                number = int(proto.split(",")[1])
                js = tag_value(tag, "json")
                omitzero = False
                if js is None:
                    json_name, omitempty = go_name, False
                elif js == "-":
                    json_name, omitempty = None, False
                else:
                    parts = js.split(",")
                    # omitzero (newer sources: ObjectMeta.creationTimestamp) drops the same scalar zero values
                    # as omitempty; on a struct it drops a zero struct, which the decoder only does for Time.
                    omitzero = "omitzero" in parts[1:]
                    omitempty = "omitempty" in parts[1:] or omitzero
                    if parts[0]:
                        json_name = parts[0]
                    elif embedded:
                        json_name = ""  # an unnamed embedded struct: Go's JSON flattens its fields into the parent
                    else:
                        json_name = go_name
                if number in fields:
                    raise SystemExit(f"duplicate protobuf number {number} in Go struct {name}")
                fields[number] = GoField(go_name, go_type, number, json_name, omitempty, omitzero)
            structs[name] = fields
    return structs, named


# ---- register.go ----

def parse_register(text: str) -> Tuple[Optional[str], Optional[str], List[str]]:
    """Return (group, version, kinds registered by addKnownTypes)."""
    g = re.search(r'const GroupName = "([^"]*)"', text)
    v = re.search(r"SchemeGroupVersion = schema\.GroupVersion\{Group: GroupName, Version: \"([^\"]+)\"\}", text)
    kinds: List[str] = []
    m = re.search(r"func addKnownTypes\(scheme \*runtime\.Scheme\) error \{(.*?)\n\}", text, re.S)
    if m:
        kinds = re.findall(r"&(\w+)\{\}", m.group(1))
    return (g.group(1) if g else None), (v.group(1) if v else None), kinds


# ---- assembly ----

def build(api_dir: str, am_dir: str, ref: str = "HEAD") -> dict:
    api, am = Repo(api_dir, ref), Repo(am_dir, ref)
    packages = []  # (repo, pkgdir, proto text)
    for f in am.files:
        if f.endswith("/generated.proto") and os.path.dirname(f) in AM_DIRS:
            packages.append((am, os.path.dirname(f)))
    for f in api.files:
        if f.endswith("/generated.proto") and f.count("/") == 2:
            packages.append((api, os.path.dirname(f)))
    packages.sort(key=lambda p: (p[0] is api, p[1]))

    parsed = []  # (repo, pkgdir, proto package, proto messages)
    go_structs: Dict[str, Dict[str, Dict[int, GoField]]] = {}  # Go import path -> struct -> fields
    go_named: Dict[str, Dict[str, str]] = {}
    for repo, pkgdir in packages:
        package, go_package, protos = parse_proto(repo.show(pkgdir + "/generated.proto"))
        go_structs[go_package], go_named[go_package] = parse_go([repo.show(f) for f in repo.go_files(pkgdir)])
        parsed.append((repo, pkgdir, package, go_package, protos))

    def struct_of(go_package: str, name: str, depth: int = 0) -> Optional[Dict[int, GoField]]:
        """The Go struct behind a type name, following ``type X otherpkg.Y`` definitions."""
        found = go_structs.get(go_package, {}).get(name)
        if found is not None or depth > 5:
            return found
        under = go_named.get(go_package, {}).get(name, "")
        m = re.fullmatch(r"([\w./-]+)\.(\w+)", under)
        if m:
            return struct_of(m.group(1), m.group(2), depth + 1)
        if re.fullmatch(r"\w+", under):
            return struct_of(go_package, under, depth + 1)
        return None

    messages: Dict[str, list] = {}
    specials: Dict[str, str] = dict(SPECIALS)
    kinds: Dict[str, Dict[str, str]] = {}
    meta_kinds: Dict[str, str] = {}
    problems: List[str] = []
    for repo, pkgdir, package, go_package, protos in parsed:
        named = go_named[go_package]
        for msg, pfields in protos.items():
            full = f"{package}.{msg}"
            if full in specials:
                messages[full] = [[n, name, t, REPEATED if rep else 0] for n, name, t, rep in pfields]
                continue
            under = named.get(msg)
            if under is not None and under.startswith("[]") and [f[1] for f in pfields] == ["items"]:
                # A named slice (e.g. authentication ExtraValue, meta Verbs): a message with one repeated
                # "items" field on the wire, a plain JSON array in Go's JSON.
                specials[full] = "list"
                messages[full] = [[n, name, t, REPEATED if rep else 0] for n, name, t, rep in pfields]
                continue
            gofields = struct_of(go_package, msg)
            if gofields is None:
                problems.append(f"{full}: no Go struct")
                gofields = {}
            out = []
            for number, pname, ptype, rep in pfields:
                gf = gofields.get(number)
                flags = REPEATED if rep else 0
                if gf is None:
                    problems.append(f"{full}.{pname} = {number}: no Go field")
                    json_name, omitempty = pname, True
                else:
                    json_name, omitempty = gf.json_name, gf.omitempty
                    if gf.go_type.startswith("*"):
                        flags |= POINTER
                    if gf.omitzero and ptype not in SCALARS and SPECIALS.get(ptype) not in ("time", "microtime"):
                        # Go drops a zero struct under omitzero; the decoder does that only for Time/MicroTime
                        problems.append(f"{full}.{pname}: omitzero on {ptype}")
                if json_name is None:
                    flags |= NOJSON
                    json_name = pname
                elif json_name == "":
                    if ptype in SCALARS or ptype.startswith("map:") or rep:
                        raise SystemExit(f"{full}.{pname}: inline field of type {ptype}")
                    flags |= INLINE
                    json_name = pname
                if omitempty:
                    flags |= OMITEMPTY
                out.append([number, json_name, ptype, flags])
            messages[full] = out
        reg = f"{pkgdir}/register.go"
        if repo is api and reg in repo.files:
            group, version, ks = parse_register(repo.show(reg))
            if group is None or version is None:
                raise SystemExit(f"cannot read group/version from {reg}")
            gv = f"{group}/{version}" if group else version
            table = kinds.setdefault(gv, {})
            for k in ks:
                if k in protos:
                    table[k] = f"{package}.{k}"
        if repo is am and pkgdir == "pkg/apis/meta/v1":
            text = repo.show(reg)
            names = re.findall(r"&(\w+)\{\}", text)
            for k in names + ["WatchEvent"]:
                if k in protos:
                    meta_kinds[k] = f"{package}.{k}"
            table = kinds.setdefault("meta.k8s.io/v1", {})
            table.update({k: v for k, v in meta_kinds.items()})
        if repo is am and pkgdir == "pkg/apis/meta/v1beta1":
            for k in re.findall(r"&(\w+)\{\}", repo.show(reg)):
                if k in protos:
                    kinds.setdefault("meta.k8s.io/v1beta1", {})[k] = f"{package}.{k}"

    # every referenced message must exist
    for full, fields in messages.items():
        for _n, name, t, _f in fields:
            ref = t[4:] if t.startswith("map:") else t
            if ref not in SCALARS and ref not in messages:
                raise SystemExit(f"{full}.{name}: unknown type {ref}")
    if problems:
        # the json/Go side of a field is unknown or not modelled: better no tables than silently wrong ones
        raise SystemExit("cannot build the tables:\n  " + "\n  ".join(problems))
    return {"messages": messages, "specials": specials, "kinds": kinds, "meta_kinds": meta_kinds}


def release_tag(gitdirs: List[str], release: str) -> Optional[str]:
    """The newest v0.<minor>.<patch> tag (e.g. v0.32.13 for release 1.32) present in every repository."""
    minor = release.split(".", 1)[1]
    common = None
    for gitdir in gitdirs:
        tags = set(git(gitdir, "tag", "-l", f"v0.{minor}.*").split())
        common = tags if common is None else common & tags
    final = [t for t in common or () if re.fullmatch(r"v0\.\d+\.\d+", t)]
    return max(final, key=lambda t: int(t.rsplit(".", 1)[1])) if final else None


def merge(newest: dict, release: dict) -> dict:
    """Tables of the newest sources with the release's definitions taking precedence.

    Newer sources drop whole group/versions a 1.32 server still knows (autoscaling/v2beta2, resource/v1alpha3,
    ...) and now and then change a json tag, so the release's view wins; fields, messages and kinds that exist
    only in newer sources are kept, since newer clients send them just as their JSON would.
    """
    messages = dict(newest["messages"])
    for name, fields in release["messages"].items():
        numbers = {f[0] for f in fields}
        messages[name] = fields + [f for f in newest["messages"].get(name, []) if f[0] not in numbers]
    kinds = {gv: dict(table) for gv, table in newest["kinds"].items()}
    for gv, table in release["kinds"].items():
        kinds.setdefault(gv, {}).update(table)
    return {"messages": messages, "specials": {**newest["specials"], **release["specials"]}, "kinds": kinds,
            "meta_kinds": {**newest["meta_kinds"], **release["meta_kinds"]}}


def main(argv: List[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("api", help="bare git directory of k8s.io/api")
    ap.add_argument("apimachinery", help="bare git directory of k8s.io/apimachinery")
    ap.add_argument("output", nargs="?", default=os.path.normpath(os.path.join(
        os.path.dirname(os.path.abspath(__file__)), "..", "apiserver", "apis", "data", "protobuf.json.gz")))
    ap.add_argument("--ref", default="HEAD", help="commit or tag of the newest sources (default HEAD)")
    ap.add_argument("--release", default="1.32",
                    help="Kubernetes release whose newest v0.x.y tag takes precedence; 'none' to skip")
    args = ap.parse_args(argv[1:])
    data = build(args.api, args.apimachinery, args.ref)
    if args.release != "none":
        tag = release_tag([args.api, args.apimachinery], args.release)
        if tag is None:
            print(f"no v0.x tag for release {args.release}: using {args.ref} only", file=sys.stderr)
        else:
            print(f"merging {tag} over {args.ref}", file=sys.stderr)
            data = merge(data, build(args.api, args.apimachinery, tag))
    blob = json.dumps(data, sort_keys=True, separators=(",", ":")).encode()
    # GzipFile with mtime=0 and no file name: byte-identical output for identical input, on every Python
    # (gzip.compress writes a different header byte from 3.11 on)
    with open(args.output, "wb") as f, gzip.GzipFile(filename="", mode="wb", fileobj=f, compresslevel=9,
                                                     mtime=0) as gz:
        gz.write(blob)
    nmsg = len(data["messages"])
    nkinds = sum(len(v) for v in data["kinds"].values())
    print(f"wrote {args.output}: {nmsg} messages, {nkinds} kinds in {len(data['kinds'])} group/versions, "
          f"{os.path.getsize(args.output)} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
