"""Decode Kubernetes protobuf request bodies (``application/vnd.kubernetes.protobuf``) into JSON-shaped dicts.

kubectl and client-go (>= 1.32) send built-in types as protobuf. A body is the magic ``k8s\\x00`` followed by a
``runtime.Unknown`` envelope whose ``raw`` field holds the typed message. :func:`decode` turns it into the dict
that ``json.loads`` would give for client-go's JSON encoding of the same Go object, using the field tables in
``apiserver/apis/data/protobuf.json.gz`` (made by ``scripts/gen_protobuf.py`` from the upstream Go sources).

Go's JSON rules reproduced here: a non-pointer scalar with ``omitempty`` and a zero value is left out; pointer
fields keep zero values; structs are never left out; ``null`` values (zero Time, nil RawExtension) are left
out rather than stored as ``None``; ``[]byte`` becomes base64; invalid UTF-8 becomes U+FFFD per bad byte.
"""

from __future__ import annotations

import base64
import functools
import gzip
import json
import os
from datetime import datetime, timedelta, timezone
from typing import Any, Dict, Optional, Tuple

PROTOBUF = "application/vnd.kubernetes.protobuf"
MAGIC = b"k8s\x00"
MAX_DEPTH = 100

_DATA = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "apis", "data", "protobuf.json.gz")

# field kinds
_STRING, _BYTES, _BOOL, _INT32, _INT64, _MESSAGE, _MAP = range(7)
_TIME, _MICROTIME, _DURATION, _RAWJSON, _INTORSTRING, _QUANTITY, _LIST = range(7, 14)
_SCALAR_KINDS = {"string": _STRING, "bytes": _BYTES, "bool": _BOOL, "int32": _INT32, "int64": _INT64}
_SPECIAL_KINDS = {"time": _TIME, "microtime": _MICROTIME, "duration": _DURATION, "rawjson": _RAWJSON,
                  "intorstring": _INTORSTRING, "quantity": _QUANTITY, "list": _LIST}
_VARINT_KINDS = (_BOOL, _INT32, _INT64)
# flags from the generator
_REPEATED, _OMITEMPTY, _POINTER, _INLINE, _NOJSON = 1, 2, 4, 8, 16
# per-field mode, decided once at load time
_SET, _OMITZERO, _APPEND, _INTO = range(4)

_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc)
_GO_ZERO_TIME = -62135596800  # Unix seconds of Go's zero time.Time (0001-01-01T00:00:00Z)
_NOVALUE = object()  # a special type whose Go JSON is null: leave the field out


class ProtobufError(ValueError):
    """The body is not a valid Kubernetes protobuf message for a known type."""


class _Tables:
    """Compiled field tables: message name -> {field number: (json name, kind, mode, sub)}."""

    def __init__(self, data: dict):
        self.fields: Dict[str, Dict[int, tuple]] = {name: {} for name in data["messages"]}
        specials = data["specials"]
        for name, fields in data["messages"].items():
            table = self.fields[name]
            for number, json_name, typ, flags in fields:
                kind, sub = self._kind(typ, specials)
                if flags & _REPEATED:
                    mode = _APPEND
                elif flags & _INLINE:
                    mode = _INTO
                elif flags & _OMITEMPTY and not flags & _POINTER and kind in (_STRING, _BYTES, _BOOL, _INT32,
                                                                                _INT64):
                    mode = _OMITZERO
                else:
                    mode = _SET
                if flags & _NOJSON:
                    continue  # on the wire but never in JSON: skipped like an unknown field
                table[number] = (json_name, kind, mode, sub)
        self.kinds: Dict[str, Dict[str, str]] = data["kinds"]
        self.meta_kinds: Dict[str, str] = data["meta_kinds"]

    def _kind(self, typ: str, specials: Dict[str, str]) -> Tuple[int, Any]:
        if typ in _SCALAR_KINDS:
            return _SCALAR_KINDS[typ], None
        if typ.startswith("map:"):
            return _MAP, self._kind(typ[4:], specials)
        special = specials.get(typ)
        if special is not None:
            return _SPECIAL_KINDS[special], self.fields[typ]
        return _MESSAGE, self.fields[typ]

    def message_for(self, api_version: str, kind: str) -> Optional[Dict[int, tuple]]:
        table = self.kinds.get(api_version)
        if table is None:
            return None
        name = table.get(kind) or self.meta_kinds.get(kind)
        return self.fields[name] if name else None


@functools.lru_cache(maxsize=1)
def _tables() -> _Tables:
    with open(_DATA, "rb") as f:
        return _Tables(json.loads(gzip.decompress(f.read())))


def known_kind(api_version: str, kind: str) -> bool:
    """Whether (apiVersion, kind) is a built-in type that has a protobuf encoding."""
    return _tables().message_for(api_version, kind) is not None


def decode(body: bytes, expected_api_version: Optional[str] = None, expected_kind: Optional[str] = None) -> dict:
    """Decode a ``k8s\\x00``-prefixed protobuf body into a JSON-shaped dict with apiVersion and kind first.

    ``expected_api_version``/``expected_kind`` (from the request path) fill in an envelope that lacks them, as
    upstream's protobuf serializer does; they are not checked against the envelope: compare the returned
    apiVersion/kind as for a JSON body. Raises :class:`ProtobufError` for anything invalid.
    """
    if not isinstance(body, (bytes, bytearray, memoryview)):
        raise ProtobufError("protobuf body must be bytes")
    body = bytes(body)
    try:
        return _decode_envelope(body, expected_api_version, expected_kind, 0)
    except ProtobufError:
        raise
    except (IndexError, KeyError, TypeError, ValueError, OverflowError, RecursionError) as e:
        # A safety net: the decoder checks bounds itself, but no malformed body may escape as another type.
        raise ProtobufError(f"invalid protobuf body: {e}") from e


def _decode_envelope(body: bytes, expected_api_version: Optional[str], expected_kind: Optional[str],
                     depth: int) -> dict:
    if not body:
        raise ProtobufError("empty body")
    if not body.startswith(MAGIC):
        raise ProtobufError("provided data does not appear to be a protobuf message, expected prefix k8s\\x00")
    if len(body) == len(MAGIC):
        raise ProtobufError("empty protobuf body after the k8s\\x00 prefix")
    end = len(body)
    api_version = kind = ""
    raw = (0, 0)
    pos = len(MAGIC)
    while pos < end:
        num, wt, pos = _key(body, pos, end)
        if num in (1, 2, 3, 4) and wt != 2:
            raise ProtobufError(f"wrong wire type {wt} for field {num} of runtime.Unknown")
        if num == 1:
            start, pos = _length(body, pos, end)
            tpos = start
            while tpos < pos:
                tnum, twt, tpos = _key(body, tpos, pos)
                if tnum in (1, 2):
                    if twt != 2:
                        raise ProtobufError(f"wrong wire type {twt} for field {tnum} of runtime.TypeMeta")
                    s, tpos = _length(body, tpos, pos)
                    if tnum == 1:
                        api_version = _go_string(body[s:tpos])
                    else:
                        kind = _go_string(body[s:tpos])
                else:
                    tpos = _skip(body, tpos, pos, twt, depth)
        elif num == 2:
            start, pos = _length(body, pos, end)
            raw = (start, pos)
        elif num in (3, 4):
            _start, pos = _length(body, pos, end)  # contentEncoding/contentType: ignored, as upstream does
        else:
            pos = _skip(body, pos, end, wt, depth)
    # like upstream's copyKindDefaults: the request's expected kind/version fill in what the envelope lacks
    if not kind and expected_kind:
        kind = expected_kind
    if not api_version and expected_api_version:
        api_version = expected_api_version
    if not kind:
        raise ProtobufError("object has no kind in the protobuf envelope")
    if not api_version:
        raise ProtobufError(f"object of kind {kind!r} has no apiVersion in the protobuf envelope")
    fields = _tables().message_for(api_version, kind)
    if fields is None:
        raise ProtobufError(f"no protobuf type is known for apiVersion {api_version!r}, kind {kind!r}")
    out: Dict[str, Any] = {"apiVersion": api_version, "kind": kind}
    _message(body, raw[0], raw[1], fields, out, depth + 1)
    return out


def _varint(buf: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Read a varint at pos; return (value, new pos). Values are masked to 64 bits like Go's uint64."""
    result = shift = 0
    while True:
        if pos >= end:
            raise ProtobufError("truncated varint")
        b = buf[pos]
        pos += 1
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result & 0xFFFFFFFFFFFFFFFF, pos
        shift += 7
        if shift >= 70:
            raise ProtobufError("varint longer than 10 bytes")


def _key(buf: bytes, pos: int, end: int) -> Tuple[int, int, int]:
    b = buf[pos]
    if b < 0x80:
        key, pos = b, pos + 1
    else:
        key, pos = _varint(buf, pos, end)
    num = key >> 3
    if num == 0:
        raise ProtobufError(f"illegal field number 0 (wire type {key & 7})")
    return num, key & 7, pos


def _length(buf: bytes, pos: int, end: int) -> Tuple[int, int]:
    """Read a length prefix; return (start, end) of the delimited bytes."""
    if pos < end and buf[pos] < 0x80:
        n, pos = buf[pos], pos + 1
    else:
        n, pos = _varint(buf, pos, end)
    stop = pos + n
    if stop > end:
        raise ProtobufError("truncated length-delimited field")
    return pos, stop


def _skip(buf: bytes, pos: int, end: int, wt: int, depth: int) -> int:
    """Skip an unknown field's value, as upstream does for forward compatibility."""
    if wt == 0:
        return _varint(buf, pos, end)[1]
    if wt == 2:
        return _length(buf, pos, end)[1]
    if wt == 1 or wt == 5:
        pos += 8 if wt == 1 else 4
        if pos > end:
            raise ProtobufError("truncated fixed-width field")
        return pos
    if wt == 3:  # group: skip to its matching end-group
        if depth >= MAX_DEPTH:
            raise ProtobufError(f"protobuf nesting deeper than {MAX_DEPTH}")
        while True:
            if pos >= end:
                raise ProtobufError("unterminated group")
            _num, gwt, pos = _key(buf, pos, end)
            if gwt == 4:
                return pos
            pos = _skip(buf, pos, end, gwt, depth + 1)
    if wt == 4:
        raise ProtobufError("unexpected end-group")
    raise ProtobufError(f"illegal wire type {wt}")


def _int32(v: int) -> int:
    v &= 0xFFFFFFFF
    return v - 0x100000000 if v & 0x80000000 else v


def _int64(v: int) -> int:
    return v - 0x10000000000000000 if v & 0x8000000000000000 else v


def _go_string(b: bytes) -> str:
    """Bytes as Go's JSON encoder shows a string: each invalid UTF-8 byte becomes U+FFFD."""
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError:
        pass
    out = []
    i, n = 0, len(b)
    while i < n:
        c = b[i]
        size = 1 if c < 0x80 else 2 if 0xC2 <= c <= 0xDF else 3 if 0xE0 <= c <= 0xEF else 4 if 0xF0 <= c <= 0xF4 \
            else 0
        if size:
            try:
                out.append(b[i:i + size].decode("utf-8"))
                i += size
                continue
            except UnicodeDecodeError:
                pass
        out.append("\ufffd")
        i += 1
    return "".join(out)


def _scalar(kind: int, v: int) -> Any:
    if kind == _INT32:
        return _int32(v)
    if kind == _INT64:
        return _int64(v)
    return v != 0


def _message(buf: bytes, pos: int, end: int, fields: Dict[int, tuple], out: Dict[str, Any], depth: int) -> None:
    """Decode the message in buf[pos:end] into out (merging, as repeated occurrences do in Go)."""
    if depth > MAX_DEPTH:
        raise ProtobufError(f"protobuf nesting deeper than {MAX_DEPTH}")
    while pos < end:
        # field key, with the one-byte case inline: it is nearly every key
        b = buf[pos]
        if b < 0x80:
            key = b
            pos += 1
        else:
            key, pos = _varint(buf, pos, end)
        f = fields.get(key >> 3)
        wt = key & 7
        if f is None:
            if key >> 3 == 0:
                raise ProtobufError(f"illegal field number 0 (wire type {wt})")
            pos = _skip(buf, pos, end, wt, depth)
            continue
        name, kind, mode, sub = f
        if wt == 2:
            if pos < end and buf[pos] < 0x80:
                start = pos + 1
                pos = start + buf[pos]
            else:
                n, start = _varint(buf, pos, end)
                pos = start + n
            if pos > end:
                raise ProtobufError(f"truncated field {name!r}")
            if kind == _STRING:
                value: Any = _go_string(buf[start:pos])
            elif kind == _MESSAGE:
                if mode == _INTO:
                    _message(buf, start, pos, sub, out, depth + 1)
                    continue
                if mode == _APPEND:
                    value = {}
                    _message(buf, start, pos, sub, value, depth + 1)
                else:
                    value = out.get(name)
                    if value.__class__ is not dict:
                        value = out[name] = {}
                    _message(buf, start, pos, sub, value, depth + 1)
                    continue
            elif kind == _BYTES:
                value = base64.b64encode(buf[start:pos]).decode("ascii")
            elif kind == _MAP:
                _map_entry(buf, start, pos, name, sub, out, depth + 1)
                continue
            elif kind >= _TIME:
                value = _special(buf, start, pos, kind, sub, depth + 1)
            elif mode == _APPEND:  # packed repeated varints
                lst = out.get(name)
                if lst is None:
                    lst = out[name] = []
                p = start
                while p < pos:
                    v, p = _varint(buf, p, pos)
                    lst.append(_scalar(kind, v))
                continue
            else:
                raise ProtobufError(f"wrong wire type 2 for field {name!r}")
        elif wt == 0 and kind in _VARINT_KINDS:
            if pos < end and buf[pos] < 0x80:
                v = buf[pos]
                pos += 1
            else:
                v, pos = _varint(buf, pos, end)
            if kind == _INT32:
                value = _int32(v) if v > 0x7FFFFFFF else v
            elif kind == _INT64:
                value = _int64(v) if v > 0x7FFFFFFFFFFFFFFF else v
            else:
                value = v != 0
        else:
            raise ProtobufError(f"wrong wire type {wt} for field {name!r}")
        if mode == _SET:
            if value is _NOVALUE:
                out.pop(name, None)
            else:
                out[name] = value
        elif mode == _OMITZERO:
            if value:
                out[name] = value
            else:  # Go's omitempty: "", 0 and false are left out
                out.pop(name, None)
        else:  # _APPEND
            lst = out.get(name)
            if lst is None:
                lst = out[name] = []
            lst.append(None if value is _NOVALUE else value)


def _map_entry(buf: bytes, pos: int, end: int, name: str, sub: Tuple[int, Any], out: Dict[str, Any],
               depth: int) -> None:
    """One map entry message {1: key, 2: value}; a missing key or value is its zero value, as in Go."""
    if depth > MAX_DEPTH:
        raise ProtobufError(f"protobuf nesting deeper than {MAX_DEPTH}")
    vkind, vsub = sub
    key = ""
    value: Any = _NOVALUE
    while pos < end:
        num, wt, pos = _key(buf, pos, end)
        if num == 1:
            if wt != 2:
                raise ProtobufError(f"wrong wire type {wt} for the key of map {name!r}")
            start, pos = _length(buf, pos, end)
            key = _go_string(buf[start:pos])
        elif num == 2:
            if wt != 2:
                raise ProtobufError(f"wrong wire type {wt} for a value of map {name!r}")
            start, pos = _length(buf, pos, end)
            if vkind == _STRING:
                value = _go_string(buf[start:pos])
            elif vkind == _BYTES:
                value = base64.b64encode(buf[start:pos]).decode("ascii")
            elif vkind == _MESSAGE:
                value = {}
                _message(buf, start, pos, vsub, value, depth + 1)
            else:
                value = _special(buf, start, pos, vkind, vsub, depth + 1)
        else:
            pos = _skip(buf, pos, end, wt, depth)
    if value is _NOVALUE:
        if vkind in (_STRING, _BYTES):
            value = ""
        elif vkind == _MESSAGE:
            value = {}
        else:
            value = _special(buf, end, end, vkind, vsub, depth + 1)
    table = out.get(name)
    if table is None:
        table = out[name] = {}
    # Go's JSON has null for a null-valued map entry (zero Time); keep the key
    table[key] = None if value is _NOVALUE else value


def _fields(buf: bytes, pos: int, end: int, kinds: Dict[int, int], what: str, depth: int) -> Dict[int, Any]:
    """Parse a small fixed message: {number: int (wire type 0) or bytes (wire type 2)}; last occurrence wins."""
    if depth > MAX_DEPTH:
        raise ProtobufError(f"protobuf nesting deeper than {MAX_DEPTH}")
    found: Dict[int, Any] = {}
    while pos < end:
        num, wt, pos = _key(buf, pos, end)
        want = kinds.get(num)
        if want is None:
            pos = _skip(buf, pos, end, wt, depth)
        elif wt != want:
            raise ProtobufError(f"wrong wire type {wt} for field {num} of {what}")
        elif wt == 0:
            found[num], pos = _varint(buf, pos, end)
        else:
            start, pos = _length(buf, pos, end)
            found[num] = buf[start:pos]
    return found


_TIMESTAMP = {1: 0, 2: 0}
_ONE_VARINT = {1: 0}
_ONE_BYTES = {1: 2}
_INTSTR = {1: 0, 2: 0, 3: 2}


def _special(buf: bytes, pos: int, end: int, kind: int, sub: Any, depth: int) -> Any:
    """A type with its own JSON form; _NOVALUE where Go's JSON is null."""
    if kind == _TIME or kind == _MICROTIME:
        if pos == end:  # upstream marshals a zero time as no bytes at all
            return _NOVALUE
        f = _fields(buf, pos, end, _TIMESTAMP, "Timestamp", depth)
        seconds = _int64(f.get(1, 0))
        if kind == _TIME:
            # upstream's Time keeps whole seconds only (JSON has no fraction)
            return _NOVALUE if seconds == _GO_ZERO_TIME else _format_time(seconds, 0, False)
        nanos = _int32(f.get(2, 0))
        micros = abs(nanos) // 1000 * 1000  # Duration.Truncate(µs) rounds toward zero
        seconds, nanos = divmod(seconds * 1_000_000_000 + (micros if nanos >= 0 else -micros), 1_000_000_000)
        if seconds == _GO_ZERO_TIME and nanos == 0:
            return _NOVALUE
        return _format_time(seconds, nanos // 1000, True)
    if kind == _DURATION:
        return _go_duration(_int64(_fields(buf, pos, end, _ONE_VARINT, "Duration", depth).get(1, 0)))
    if kind == _INTORSTRING:
        f = _fields(buf, pos, end, _INTSTR, "IntOrString", depth)
        typ = _int64(f.get(1, 0))
        if typ == 0:
            return _int32(f.get(2, 0))
        if typ == 1:
            return _go_string(f.get(3, b""))
        raise ProtobufError(f"impossible IntOrString type {typ}")
    if kind == _QUANTITY:
        # kept as sent: validating/canonicalizing quantities is left to the same code that handles JSON bodies
        s = _fields(buf, pos, end, _ONE_BYTES, "Quantity", depth).get(1)
        return "0" if s is None else _go_string(s)
    if kind == _RAWJSON:
        raw = _fields(buf, pos, end, _ONE_BYTES, "RawExtension", depth).get(1)
        if not raw:
            return _NOVALUE
        if raw.startswith(MAGIC):
            return _decode_envelope(raw, None, None, depth)
        if raw[:1] not in b'\t\r\n {["-0123456789ntf':
            raise ProtobufError("embedded object (RawExtension) is neither JSON nor a Kubernetes protobuf message")
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except (ValueError, RecursionError) as e:
            raise ProtobufError(f"embedded object (RawExtension) is not valid JSON: {e}") from e
    if kind == _LIST:
        found: Dict[str, Any] = {}
        _message(buf, pos, end, sub, found, depth)
        return found.get("items", [])
    raise ProtobufError(f"unsupported field kind {kind}")  # not reached: every kind is handled above


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON")


def _format_time(seconds: int, micros: int, micro: bool) -> str:
    try:
        t = _EPOCH + timedelta(seconds=seconds)
    except OverflowError as e:
        raise ProtobufError(f"timestamp {seconds} out of range") from e
    text = f"{t.year:04d}-{t.month:02d}-{t.day:02d}T{t.hour:02d}:{t.minute:02d}:{t.second:02d}"
    return f"{text}.{micros:06d}Z" if micro else text + "Z"


def _go_duration(d: int) -> str:
    """time.Duration.String(): 1h2m3s, 1.5s, 500ms, 3µs, 0s."""
    if d == 0:
        return "0s"
    u = -d if d < 0 else d
    if u < 1_000_000_000:
        prec, unit = (0, "ns") if u < 1_000 else (3, "µs") if u < 1_000_000 else (6, "ms")
        whole, frac = _frac(u, prec)
        text = f"{whole}{frac}{unit}"
    else:
        whole, frac = _frac(u, 9)
        text = f"{whole % 60}{frac}s"
        whole //= 60
        if whole:
            text = f"{whole % 60}m{text}"
            whole //= 60
            if whole:
                text = f"{whole}h{text}"
    return "-" + text if d < 0 else text


def _frac(v: int, prec: int) -> Tuple[int, str]:
    if not prec:
        return v, ""
    whole, rest = divmod(v, 10 ** prec)
    digits = f"{rest:0{prec}d}".rstrip("0")
    return whole, "." + digits if digits else ""
