#!/usr/bin/env python3
"""Generate ``apiserver/apis/data/definitions.json.gz``: the OpenAPI definitions of the Kubernetes 1.32 API.

Usage: ``scripts/gen_schemas.py [--wheel PATH] [OUTPUT]``

Upstream: the definitions of Kubernetes **1.32.0** (``api/openapi-spec``), Copyright The Kubernetes Authors,
licensed under the **Apache License 2.0**. They are read, at generation time only, from the
``kubernetes-validate`` wheel on PyPI (``kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json``),
which carries all 638 definitions with their descriptions and ``x-kubernetes-*`` extensions. Without ``--wheel``
the pinned wheel is fetched with ``pip download --no-deps``. The server never needs that package at run time.

That file is a JSON-Schema rendering of upstream's swagger; the few changes its converter made are undone so the
output has upstream's OpenAPI v2 shape (what ``/openapi/v2`` and ``kubectl explain`` expect):

* ``"type": ["string", "null"]`` (every optional field) becomes ``"type": "string"``;
* the ``enum`` the converter added to ``apiVersion`` and ``kind`` (one value, from the GVK) is dropped;
* ``IntOrString`` and ``Quantity``, rendered as ``oneOf``, get back upstream's ``type: string`` (with
  ``format: int-or-string`` for IntOrString) and their upstream descriptions (which the converter lost);
* ``$ref`` points at ``#/definitions/NAME`` as in swagger 2.0 (was ``#/$defs/NAME``).

Everything else (types, formats, properties, items, additionalProperties, required, descriptions, defaults,
``x-kubernetes-group-version-kind``, patch strategy and merge keys, list and map types, unions) is kept as is.

Output: gzip (mtime 0, so byte-identical on every run) of compact, key-sorted JSON::

    {"info": {"kubernetesVersion": "1.32.0", "license": "Apache-2.0", "copyright": "The Kubernetes Authors", ...},
     "definitions": {"io.k8s.api.apps.v1.Deployment": {...}, ...}}
"""

from __future__ import annotations

import argparse
import glob
import gzip
import hashlib
import io
import json
import os
import subprocess
import sys
import tempfile
import zipfile
from typing import Any, Dict, Optional

PACKAGE = "kubernetes-validate"
PACKAGE_VERSION = "1.37.0"  # pinned: the output must not change when a newer wheel is published
KUBERNETES_VERSION = "1.32.0"
MEMBER = "kubernetes_validate/kubernetes-json-schema/v1.32.0-local/_definitions.json"
EXPECTED_DEFINITIONS = 638

INTSTR = "io.k8s.apimachinery.pkg.util.intstr.IntOrString"
QUANTITY = "io.k8s.apimachinery.pkg.api.resource.Quantity"
# Upstream's swagger definitions of the two types the converter rewrote (descriptions verbatim from 1.32).
RESTORED: Dict[str, Dict[str, Any]] = {
    INTSTR: {
        "description": "IntOrString is a type that can hold an int32 or a string.  When used in JSON or YAML "
        "marshalling and unmarshalling, it produces or consumes the inner type.  This allows you to have, for "
        "example, a JSON field that can accept a name or number.",
        "format": "int-or-string",
        "type": "string",
    },
    QUANTITY: {
        "description": "Quantity is a fixed-point representation of a number. It provides convenient "
        "marshaling/unmarshaling in JSON and YAML, in addition to String() and AsInt64() accessors.\n\n"
        "The serialization format is:\n\n"
        "``` <quantity>        ::= <signedNumber><suffix>\n\n"
        "\t(Note that <suffix> may be empty, from the \"\" case in <decimalSI>.)\n\n"
        "<digit>           ::= 0 | 1 | ... | 9 "
        "<digits>          ::= <digit> | <digit><digits> "
        "<number>          ::= <digits> | <digits>.<digits> | <digits>. | .<digits> "
        "<sign>            ::= \"+\" | \"-\" "
        "<signedNumber>    ::= <number> | <sign><number> "
        "<suffix>          ::= <binarySI> | <decimalExponent> | <decimalSI> "
        "<binarySI>        ::= Ki | Mi | Gi | Ti | Pi | Ei\n\n"
        "\t(International System of units; See: http://physics.nist.gov/cuu/Units/binary.html)\n\n"
        "<decimalSI>       ::= m | \"\" | k | M | G | T | P | E\n\n"
        "\t(Note that 1024 = 1Ki but 1000 = 1k; I didn't choose the capitalization.)\n\n"
        "<decimalExponent> ::= \"e\" <signedNumber> | \"E\" <signedNumber> ```\n\n"
        "No matter which of the three exponent forms is used, no quantity may represent a number greater than "
        "2^63-1 in magnitude, nor may it have more than 3 decimal places. Numbers larger or more precise will be "
        "capped or rounded up. (E.g.: 0.1m will rounded up to 1m.) This may be extended in the future if we "
        "require larger or smaller quantities.\n\n"
        "When a Quantity is parsed from a string, it will remember the type of suffix it had, and will use the "
        "same type again when it is serialized.\n\n"
        "Before serializing, Quantity will be put in \"canonical form\". This means that Exponent/suffix will be "
        "adjusted up or down (with a corresponding increase or decrease in Mantissa) such that:\n\n"
        "- No precision is lost - No fractional digits will be emitted - The exponent (or suffix) is as large "
        "as possible.\n\n"
        "The sign will be omitted unless the number is negative.\n\n"
        "Examples:\n\n"
        "- 1.5 will be serialized as \"1500m\" - 1.5Gi will be serialized as \"1536Mi\"\n\n"
        "Note that the quantity will NEVER be internally represented by a floating point number. That is the "
        "whole point of this exercise.\n\n"
        "Non-canonical values will still parse as long as they are well formed, but will be re-emitted in their "
        "canonical form. (So always use canonical form, or don't diff.)\n\n"
        "This format is intended to make it difficult to use these numbers without writing some sort of special "
        "handling code in the hopes that that will cause implementors to also use a fixed point "
        "implementation.",
        "type": "string",
    },
}

REF_IN = "#/$defs/"
REF_OUT = "#/definitions/"
DEFAULT_OUTPUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "apiserver", "apis", "data",
                              "definitions.json.gz")


def download_wheel(directory: str) -> str:
    """Fetch the pinned wheel with pip's ordinary client; return its path."""
    subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
                    "-d", directory, f"{PACKAGE}=={PACKAGE_VERSION}"], check=True)
    wheels = glob.glob(os.path.join(directory, "kubernetes_validate-*.whl"))
    if not wheels:
        raise SystemExit(f"pip download left no wheel in {directory}")
    return wheels[0]


def normalise(node: Any, prop: Optional[str] = None) -> Any:
    """Undo the converter's changes in one schema node, recursively (``prop``: the property it describes)."""
    if isinstance(node, list):
        return [normalise(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: Dict[str, Any] = {}
    for key, value in node.items():
        if key == "properties" and isinstance(value, dict):
            out[key] = {name: normalise(sub, name) for name, sub in value.items()}
        elif key == "type" and isinstance(value, list):
            kinds = [t for t in value if t != "null"]
            if len(kinds) != 1:
                raise SystemExit(f"unexpected type union {value!r}")
            out[key] = kinds[0]
        elif key == "$ref" and isinstance(value, str):
            if not value.startswith(REF_IN):
                raise SystemExit(f"unexpected $ref {value!r}")
            out[key] = REF_OUT + value[len(REF_IN):]
        elif key == "enum" and prop in ("apiVersion", "kind"):
            continue  # added by the converter from the GVK; upstream has no enum here
        elif key in ("additionalProperties", "items") and isinstance(value, dict):
            out[key] = normalise(value)
        elif key.startswith("x-kubernetes-") or key in ("required", "description", "format", "default", "enum"):
            out[key] = value  # data, not schemas: copy verbatim
        else:
            out[key] = normalise(value)
    return out


def has_keyword(node: Any, keyword: str) -> bool:
    """Whether a schema (not a property name) anywhere under ``node`` uses ``keyword``."""
    if not isinstance(node, dict):
        return False
    if keyword in node:
        return True
    subs = list(node.get("properties", {}).values())
    subs += [node[k] for k in ("items", "additionalProperties") if isinstance(node.get(k), dict)]
    return any(has_keyword(sub, keyword) for sub in subs)


def convert(raw: Dict[str, Any], sha256: str) -> Dict[str, Any]:
    """The output document from the parsed upstream file."""
    defs = raw["$defs"]
    if len(defs) != EXPECTED_DEFINITIONS:
        raise SystemExit(f"expected {EXPECTED_DEFINITIONS} definitions, found {len(defs)}")
    out: Dict[str, Any] = {}
    for name, schema in defs.items():
        if name in RESTORED:
            out[name] = dict(RESTORED[name])
        else:
            out[name] = normalise(schema)
    seen: Dict[tuple, str] = {}
    for name, schema in out.items():
        for gvk in schema.get("x-kubernetes-group-version-kind", ()):
            key = (gvk["group"], gvk["version"], gvk["kind"])
            if key in seen:
                raise SystemExit(f"GVK {key} claimed by {seen[key]} and {name}")
            seen[key] = name
    leftovers = [n for n, s in out.items() if has_keyword(s, "oneOf")]
    if leftovers:
        raise SystemExit(f"unexpected oneOf left in {leftovers}")
    return {
        "info": {
            "kubernetesVersion": KUBERNETES_VERSION,
            "license": "Apache-2.0",
            "copyright": "The Kubernetes Authors",
            "source": f"{PACKAGE} {PACKAGE_VERSION} (PyPI): {MEMBER}",
            "sourceSha256": sha256,
            "generator": "scripts/gen_schemas.py",
        },
        "definitions": out,
    }


def write(doc: Dict[str, Any], path: str) -> int:
    """Write deterministic gzip JSON; return the file size."""
    data = json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")
    buf = io.BytesIO()
    # filename="" and mtime=0 keep the gzip header free of anything that changes between runs
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write(data)
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "wb") as f:
        f.write(buf.getvalue())
    return len(buf.getvalue())


def main(argv: Optional[list] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wheel", help=f"a downloaded {PACKAGE} wheel (default: pip download {PACKAGE_VERSION})")
    parser.add_argument("output", nargs="?", default=os.path.normpath(DEFAULT_OUTPUT))
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = args.wheel or download_wheel(tmp)
        with zipfile.ZipFile(wheel) as zf:
            blob = zf.read(MEMBER)
    doc = convert(json.loads(blob), hashlib.sha256(blob).hexdigest())
    size = write(doc, args.output)
    print(f"{args.output}: {len(doc['definitions'])} definitions, {size} bytes", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
