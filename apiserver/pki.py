"""Self-contained PKI for the API server: ECDSA P-256, X.509 v3 and cert set-up.

Everything here is standard library only: the elliptic-curve arithmetic, DER
and PEM are implemented in this module so the server can mint its own CA,
serving and admin certificates without ``cryptography`` or an ``openssl``
binary.

Python integers are not constant-time, so this code makes no attempt to resist
local timing side channels; that is acceptable for a server's self-managed
bootstrap PKI but worth knowing.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as _dt
import hashlib
import ipaddress
import json
import os
import re
import secrets
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, NamedTuple

if TYPE_CHECKING:  # aliases for annotations only, so "|" is fine on Python 3.9
    PathLike = str | os.PathLike[str]
    IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
    IPLike = str | IPAddress

__all__ = (
    "ADMIN_GROUP",
    "ADMIN_USER",
    "CertInfo",
    "DERError",
    "DERItem",
    "PKIError",
    "PKIFiles",
    "Point",
    "PrivateKey",
    "cert_to_pem",
    "der_bit_string",
    "der_boolean",
    "der_children",
    "der_decode",
    "der_explicit",
    "der_ia5_string",
    "der_implicit",
    "der_integer",
    "der_null",
    "der_octet_string",
    "der_oid",
    "der_parse_bit_string",
    "der_parse_integer",
    "der_parse_oid",
    "der_parse_string",
    "der_parse_time",
    "der_printable_string",
    "der_read",
    "der_sequence",
    "der_set",
    "der_string",
    "der_time",
    "der_tlv",
    "der_utf8_string",
    "ensure_pki",
    "kubeconfig_yaml",
    "make_certificate",
    "parse_certificate",
    "pem_to_ders",
    "verify_signature",
    "write_private_file",
)

# Spelled this way rather than datetime.UTC, which needs Python 3.11.
_UTC = _dt.timezone(_dt.timedelta(0))


class PKIError(Exception):
    """A certificate directory problem the operator has to fix."""


class DERError(ValueError):
    """Malformed or unsupported DER/PEM input."""


# ---------------------------------------------------------------------------
# DER
# ---------------------------------------------------------------------------

TAG_BOOLEAN = 0x01
TAG_INTEGER = 0x02
TAG_BIT_STRING = 0x03
TAG_OCTET_STRING = 0x04
TAG_NULL = 0x05
TAG_OID = 0x06
TAG_UTF8_STRING = 0x0C
TAG_PRINTABLE_STRING = 0x13
TAG_T61_STRING = 0x14
TAG_IA5_STRING = 0x16
TAG_UTC_TIME = 0x17
TAG_GENERALIZED_TIME = 0x18
TAG_UNIVERSAL_STRING = 0x1C
TAG_BMP_STRING = 0x1E
TAG_SEQUENCE = 0x30
TAG_SET = 0x31

_PRINTABLE_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789 '()+,-./:=?")
_TIME_RE = re.compile(r"(\d\d)(\d\d)(\d\d)(\d\d)(\d\d)(?:\.(\d+))?Z")


class DERItem(NamedTuple):
    """One decoded TLV: its tag, its content octets and its full encoding."""

    tag: int
    value: bytes
    raw: bytes


def _der_length(length: int) -> bytes:
    if length < 0x80:
        return bytes([length])
    body = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def der_tlv(tag: int, content: bytes) -> bytes:
    """Encodes one tag-length-value with a single-octet tag."""
    return bytes([tag]) + _der_length(len(content)) + content


def der_boolean(value: bool) -> bytes:
    return der_tlv(TAG_BOOLEAN, b"\xff" if value else b"\x00")


def der_integer(value: int) -> bytes:
    """Two's complement INTEGER in the minimal number of octets."""
    # The +1 octet of headroom keeps the sign bit clear for positive values.
    size = (value if value >= 0 else ~value).bit_length() // 8 + 1
    return der_tlv(TAG_INTEGER, value.to_bytes(size, "big", signed=True))


def der_bit_string(data: bytes, unused_bits: int = 0) -> bytes:
    if not 0 <= unused_bits <= 7 or (unused_bits and not data):
        raise ValueError("invalid unused-bit count for BIT STRING")
    return der_tlv(TAG_BIT_STRING, bytes([unused_bits]) + data)


def der_octet_string(data: bytes) -> bytes:
    return der_tlv(TAG_OCTET_STRING, data)


def der_null() -> bytes:
    return der_tlv(TAG_NULL, b"")


def der_oid(dotted: str) -> bytes:
    """OBJECT IDENTIFIER from its dotted form, e.g. ``"2.5.4.3"``."""
    arcs = [int(arc) for arc in dotted.split(".")]
    if len(arcs) < 2 or arcs[0] > 2 or (arcs[0] < 2 and arcs[1] >= 40):
        raise ValueError(f"invalid OID {dotted!r}")
    body = bytearray()
    for arc in [40 * arcs[0] + arcs[1], *arcs[2:]]:
        if arc < 0:
            raise ValueError(f"invalid OID {dotted!r}")
        chunk = [arc & 0x7F]
        arc >>= 7
        while arc:
            chunk.append(0x80 | (arc & 0x7F))
            arc >>= 7
        body.extend(reversed(chunk))
    return der_tlv(TAG_OID, bytes(body))


def der_utf8_string(text: str) -> bytes:
    return der_tlv(TAG_UTF8_STRING, text.encode("utf-8"))


def der_printable_string(text: str) -> bytes:
    if not set(text) <= _PRINTABLE_CHARS:
        raise ValueError(f"{text!r} is not a PrintableString")
    return der_tlv(TAG_PRINTABLE_STRING, text.encode("ascii"))


def der_ia5_string(text: str) -> bytes:
    return der_tlv(TAG_IA5_STRING, text.encode("ascii"))


def der_string(text: str) -> bytes:
    """DirectoryString the way Go does it: PrintableString if possible, else UTF8String."""
    if set(text) <= _PRINTABLE_CHARS:
        return der_printable_string(text)
    return der_utf8_string(text)


def _utc(when: _dt.datetime) -> _dt.datetime:
    if when.tzinfo is None:
        raise ValueError("naive datetime: pass a timezone-aware (UTC) datetime")
    return when.astimezone(_UTC)


def der_time(when: _dt.datetime) -> bytes:
    """UTCTime for 1950-2049 and GeneralizedTime otherwise (RFC 5280 4.1.2.5)."""
    when = _utc(when)
    clock = f"{when.month:02d}{when.day:02d}{when.hour:02d}{when.minute:02d}{when.second:02d}Z"
    if 1950 <= when.year < 2050:
        return der_tlv(TAG_UTC_TIME, f"{when.year % 100:02d}{clock}".encode("ascii"))
    return der_tlv(TAG_GENERALIZED_TIME, f"{when.year:04d}{clock}".encode("ascii"))


def der_sequence(*items: bytes) -> bytes:
    return der_tlv(TAG_SEQUENCE, b"".join(items))


def der_set(*items: bytes) -> bytes:
    # DER orders the members of a SET OF by their encodings.
    return der_tlv(TAG_SET, b"".join(sorted(items)))


def der_explicit(number: int, encoding: bytes) -> bytes:
    """``[number] EXPLICIT``: wraps a complete encoding in a constructed tag."""
    if not 0 <= number < 31:
        raise ValueError("context tag number out of range")
    return der_tlv(0xA0 | number, encoding)


def der_implicit(number: int, content: bytes, constructed: bool = False) -> bytes:
    """``[number] IMPLICIT``: replaces the tag of ``content`` (content octets only)."""
    if not 0 <= number < 31:
        raise ValueError("context tag number out of range")
    return der_tlv((0xA0 if constructed else 0x80) | number, content)


def der_read(data: bytes, offset: int = 0) -> tuple[int, bytes, int]:
    """Reads one TLV at ``offset``: returns (tag, content, offset after it)."""
    if offset + 2 > len(data):
        raise DERError("truncated DER")
    tag = data[offset]
    if tag & 0x1F == 0x1F:
        raise DERError("multi-octet DER tags are not supported")
    length = data[offset + 1]
    pos = offset + 2
    if length & 0x80:
        count = length & 0x7F
        # Indefinite length is BER only; > 4 length octets is never a real certificate.
        if count == 0 or count > 4 or pos + count > len(data):
            raise DERError("invalid DER length")
        length = int.from_bytes(data[pos : pos + count], "big")
        pos += count
    end = pos + length
    if end > len(data):
        raise DERError("truncated DER")
    return tag, bytes(data[pos:end]), end


def der_decode(data: bytes, expected_tag: int | None = None) -> bytes:
    """Decodes exactly one TLV that spans all of ``data``; returns its content."""
    tag, content, end = der_read(data)
    if end != len(data):
        raise DERError("trailing data after DER value")
    if expected_tag is not None and tag != expected_tag:
        raise DERError(f"expected DER tag 0x{expected_tag:02x}, got 0x{tag:02x}")
    return content


def der_children(content: bytes) -> list[DERItem]:
    """Splits the content of a constructed value into its TLVs."""
    items = []
    pos = 0
    while pos < len(content):
        tag, value, end = der_read(content, pos)
        items.append(DERItem(tag, value, bytes(content[pos:end])))
        pos = end
    return items


def der_parse_integer(content: bytes) -> int:
    if not content:
        raise DERError("empty INTEGER")
    return int.from_bytes(content, "big", signed=True)


def der_parse_bit_string(content: bytes) -> bytes:
    """The payload octets of a BIT STRING (unused trailing bits are left as-is)."""
    if not content or content[0] > 7:
        raise DERError("invalid BIT STRING")
    return bytes(content[1:])


def der_parse_oid(content: bytes) -> str:
    if not content or content[-1] & 0x80:
        raise DERError("invalid OBJECT IDENTIFIER")
    arcs = []
    value = 0
    for octet in content:
        value = (value << 7) | (octet & 0x7F)
        if not octet & 0x80:
            arcs.append(value)
            value = 0
    first = arcs[0]
    head = [first // 40, first % 40] if first < 80 else [2, first - 80]
    return ".".join(str(arc) for arc in head + arcs[1:])


def der_parse_string(tag: int, content: bytes) -> str:
    """Decodes the string types that appear in X.509 names."""
    if tag == TAG_UTF8_STRING:
        return content.decode("utf-8")
    if tag in (TAG_PRINTABLE_STRING, TAG_IA5_STRING):
        return content.decode("ascii")
    if tag == TAG_T61_STRING:
        return content.decode("latin-1")  # what OpenSSL assumes too
    if tag == TAG_BMP_STRING:
        return content.decode("utf-16-be")
    if tag == TAG_UNIVERSAL_STRING:
        return content.decode("utf-32-be")
    raise DERError(f"unsupported string tag 0x{tag:02x}")


def der_parse_time(tag: int, content: bytes) -> _dt.datetime:
    """UTCTime or GeneralizedTime (Zulu form) as an aware UTC datetime."""
    text = content.decode("ascii")
    if tag == TAG_UTC_TIME:
        year = int(text[:2])
        year += 2000 if year < 50 else 1900  # RFC 5280 4.1.2.5.1
        rest = text[2:]
    elif tag == TAG_GENERALIZED_TIME:
        year = int(text[:4])
        rest = text[4:]
    else:
        raise DERError(f"expected a time, got tag 0x{tag:02x}")
    match = _TIME_RE.fullmatch(rest)
    if match is None:
        raise DERError(f"unsupported time format {text!r}")
    month, day, hour, minute, second = (int(part) for part in match.groups()[:5])
    micro = int((match.group(6) or "0")[:6].ljust(6, "0"))
    return _dt.datetime(year, month, day, hour, minute, second, micro, tzinfo=_UTC)


# ---------------------------------------------------------------------------
# P-256 (secp256r1) and ECDSA with SHA-256
# ---------------------------------------------------------------------------

_P = 0xFFFFFFFF00000001000000000000000000000000FFFFFFFFFFFFFFFFFFFFFFFF
_B = 0x5AC635D8AA3A93E7B3EBBD55769886BC651D06B0CC53B0F63BCE3C3E27D2604B
_N = 0xFFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551
_GX = 0x6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296
_GY = 0x4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5
# The curve's a coefficient is -3, which the doubling formula below relies on.

OID_EC_PUBLIC_KEY = "1.2.840.10045.2.1"
OID_P256 = "1.2.840.10045.3.1.7"
OID_ECDSA_SHA256 = "1.2.840.10045.4.3.2"

_WINDOW = 4  # bits per step of the fixed-window scalar multiplication


class Point(NamedTuple):
    """An affine point on P-256 (a public key); never the point at infinity."""

    x: int
    y: int

    def is_on_curve(self) -> bool:
        x, y = self.x, self.y
        return 0 <= x < _P and 0 <= y < _P and (y * y - (x * x * x - 3 * x + _B)) % _P == 0

    def to_bytes(self) -> bytes:
        """SEC1 uncompressed encoding, ``04 || X || Y``."""
        return b"\x04" + self.x.to_bytes(32, "big") + self.y.to_bytes(32, "big")

    @classmethod
    def from_bytes(cls, data: bytes) -> Point:
        """Decodes a SEC1 uncompressed or compressed point and checks it is on the curve."""
        if len(data) == 65 and data[0] == 4:
            point = cls(int.from_bytes(data[1:33], "big"), int.from_bytes(data[33:], "big"))
        elif len(data) == 33 and data[0] in (2, 3):
            x = int.from_bytes(data[1:], "big")
            rhs = (x * x * x - 3 * x + _B) % _P
            y = pow(rhs, (_P + 1) // 4, _P)  # square root, valid because p % 4 == 3
            if y & 1 != data[0] & 1:
                y = _P - y
            point = cls(x, y)
        else:
            raise DERError("unsupported EC point encoding")
        if not point.is_on_curve():
            raise DERError("EC point is not on P-256")
        return point


_G = Point(_GX, _GY)
_Jacobian = tuple[int, int, int]  # (X, Y, Z) with x = X/Z^2, y = Y/Z^3; Z == 0 is infinity
_INFINITY: _Jacobian = (1, 1, 0)


def _jacobian_double(X: int, Y: int, Z: int) -> _Jacobian:
    # dbl-2001-b: cheaper than the generic formula because a = -3.
    if Z == 0 or Y == 0:
        return _INFINITY
    delta = Z * Z % _P
    gamma = Y * Y % _P
    beta = X * gamma % _P
    alpha = 3 * (X - delta) * (X + delta) % _P
    X3 = (alpha * alpha - 8 * beta) % _P
    Z3 = ((Y + Z) * (Y + Z) - gamma - delta) % _P
    Y3 = (alpha * (4 * beta - X3) - 8 * gamma * gamma) % _P
    return X3, Y3, Z3


def _jacobian_add_affine(X1: int, Y1: int, Z1: int, x2: int, y2: int) -> _Jacobian:
    # madd-2007-bl: adding an affine point saves the multiplications by Z2.
    if Z1 == 0:
        return x2, y2, 1
    z1z1 = Z1 * Z1 % _P
    u2 = x2 * z1z1 % _P
    s2 = y2 * Z1 * z1z1 % _P
    h = (u2 - X1) % _P
    r = 2 * (s2 - Y1) % _P
    if h == 0:
        return _jacobian_double(X1, Y1, Z1) if r == 0 else _INFINITY
    hh = h * h % _P
    i4 = 4 * hh % _P
    j = h * i4 % _P
    v = X1 * i4 % _P
    X3 = (r * r - j - 2 * v) % _P
    Y3 = (r * (v - X3) - 2 * Y1 * j) % _P
    Z3 = ((Z1 + h) * (Z1 + h) - z1z1 - hh) % _P
    return X3, Y3, Z3


def _to_affine(X: int, Y: int, Z: int) -> Point | None:
    if Z == 0:
        return None
    z_inv = pow(Z, -1, _P)
    z_inv2 = z_inv * z_inv % _P
    return Point(X * z_inv2 % _P, Y * z_inv2 * z_inv % _P)


def _scalar_mult(k: int, point: Point) -> Point | None:
    """k * point with a fixed 4-bit window; None for the point at infinity."""
    k %= _N
    if k == 0:
        return None
    # Affine multiples 1P..15P let every step use the cheaper mixed addition.
    multiples = [_INFINITY, (point.x, point.y, 1), _jacobian_double(point.x, point.y, 1)]
    for _ in range(3, 1 << _WINDOW):
        multiples.append(_jacobian_add_affine(*multiples[-1], point.x, point.y))
    table = [None] + [_to_affine(*m) for m in multiples[1:]]
    acc = _INFINITY
    for shift in range(256 - _WINDOW, -1, -_WINDOW):
        if acc[2]:
            for _ in range(_WINDOW):
                acc = _jacobian_double(*acc)
        digit = (k >> shift) & ((1 << _WINDOW) - 1)
        entry = table[digit]
        if entry is not None:
            acc = _jacobian_add_affine(*acc, entry.x, entry.y)
    return _to_affine(*acc)


def _hash_to_int(data: bytes) -> int:
    # SHA-256 output is as long as n, so no truncation is needed.
    return int.from_bytes(hashlib.sha256(data).digest(), "big")


def _encode_signature(r: int, s: int) -> bytes:
    return der_sequence(der_integer(r), der_integer(s))


def _decode_signature(signature: bytes) -> tuple[int, int]:
    items = der_children(der_decode(signature, TAG_SEQUENCE))
    if len(items) != 2 or any(item.tag != TAG_INTEGER for item in items):
        raise DERError("ECDSA signature must be SEQUENCE { INTEGER, INTEGER }")
    return der_parse_integer(items[0].value), der_parse_integer(items[1].value)


def verify_signature(public_key: Point, data: bytes, signature: bytes) -> bool:
    """Checks a DER ECDSA-Sig-Value over SHA-256(data); never raises on bad input."""
    try:
        r, s = _decode_signature(signature)
        point = Point(*public_key)
    except (ValueError, TypeError):
        return False
    if not (1 <= r < _N and 1 <= s < _N) or not point.is_on_curve():
        return False
    w = pow(s, -1, _N)
    e = _hash_to_int(data)
    p1 = _scalar_mult(e * w % _N, _G)
    p2 = _scalar_mult(r * w % _N, point)
    if p1 is None or p2 is None:
        total = p1 or p2
    else:
        total = _to_affine(*_jacobian_add_affine(p1.x, p1.y, 1, p2.x, p2.y))
    return total is not None and total.x % _N == r


class PrivateKey:
    """An ECDSA P-256 private key."""

    __slots__ = ("_d", "_public")

    def __init__(self, scalar: int) -> None:
        if not 1 <= scalar < _N:
            raise ValueError("private scalar out of range for P-256")
        self._d = scalar
        public = _scalar_mult(scalar, _G)
        if public is None:  # impossible for 1 <= d < n; keeps the type honest
            raise ValueError("degenerate private key")
        self._public = public

    def __repr__(self) -> str:
        # Never show the secret scalar in logs or tracebacks.
        return f"PrivateKey(public_key=0x{self._public.x:064x}...)"

    @classmethod
    def generate(cls) -> PrivateKey:
        return cls(secrets.randbelow(_N - 1) + 1)

    @property
    def public_key(self) -> Point:
        return self._public

    def sign(self, data: bytes) -> bytes:
        """ECDSA over SHA-256(data) with a fresh random nonce; DER ECDSA-Sig-Value."""
        e = _hash_to_int(data)
        while True:
            k = secrets.randbelow(_N - 1) + 1
            kg = _scalar_mult(k, _G)
            if kg is None:
                continue
            r = kg.x % _N
            s = pow(k, -1, _N) * (e + r * self._d) % _N
            if r and s:
                return _encode_signature(r, s)

    def to_der(self) -> bytes:
        """SEC1 ECPrivateKey with the named curve and the public key."""
        return der_sequence(
            der_integer(1),
            der_octet_string(self._d.to_bytes(32, "big")),
            der_explicit(0, der_oid(OID_P256)),
            der_explicit(1, der_bit_string(self._public.to_bytes())),
        )

    def to_pem(self) -> bytes:
        return _pem_encode("EC PRIVATE KEY", self.to_der())

    @classmethod
    def from_der(cls, der: bytes) -> PrivateKey:
        """Loads SEC1 ECPrivateKey or unencrypted PKCS#8 PrivateKeyInfo (P-256 only).

        Raises DERError (a ValueError) for anything else.
        """
        try:
            items = der_children(der_decode(der, TAG_SEQUENCE))
            if len(items) >= 3 and items[1].tag == TAG_SEQUENCE:
                return cls._from_pkcs8(items)
            return cls._from_sec1(items)
        except DERError:
            raise
        except (ValueError, IndexError) as exc:
            raise DERError(f"not an EC P-256 private key: {exc}") from exc

    @classmethod
    def from_pem(cls, pem: bytes | str) -> PrivateKey:
        """Loads the first ``EC PRIVATE KEY`` or ``PRIVATE KEY`` block of a PEM file."""
        for label, der in _pem_blocks(pem):
            if label in ("EC PRIVATE KEY", "PRIVATE KEY"):
                return cls.from_der(der)  # the DER itself tells SEC1 from PKCS#8
            if label == "ENCRYPTED PRIVATE KEY":
                raise DERError("encrypted private keys are not supported")
        raise DERError("no EC PRIVATE KEY or PRIVATE KEY block in PEM data")

    @classmethod
    def _from_pkcs8(cls, items: list[DERItem]) -> PrivateKey:
        algorithm = der_children(items[1].value)
        if items[0].tag != TAG_INTEGER or der_parse_integer(items[0].value) not in (0, 1):
            raise DERError("unsupported PKCS#8 version")
        if der_parse_oid(algorithm[0].value) != OID_EC_PUBLIC_KEY:
            raise DERError("PKCS#8 key is not an EC key")
        if len(algorithm) < 2 or algorithm[1].tag != TAG_OID or der_parse_oid(algorithm[1].value) != OID_P256:
            raise DERError("PKCS#8 EC key is not on P-256")
        if items[2].tag != TAG_OCTET_STRING:
            raise DERError("PKCS#8 privateKey must be an OCTET STRING")
        return cls._from_sec1(der_children(der_decode(items[2].value, TAG_SEQUENCE)))

    @classmethod
    def _from_sec1(cls, items: list[DERItem]) -> PrivateKey:
        if len(items) < 2 or items[0].tag != TAG_INTEGER or der_parse_integer(items[0].value) != 1:
            raise DERError("not a SEC1 ECPrivateKey (version 1)")
        if items[1].tag != TAG_OCTET_STRING:
            raise DERError("SEC1 privateKey must be an OCTET STRING")
        public_bits = None
        for item in items[2:]:
            if item.tag == 0xA0:
                if der_parse_oid(der_decode(item.value, TAG_OID)) != OID_P256:
                    raise DERError("EC key is not on P-256")
            elif item.tag == 0xA1:
                public_bits = der_parse_bit_string(der_decode(item.value, TAG_BIT_STRING))
        # Without curve parameters we assume P-256; the public-key check below still
        # catches a key from another curve when the public key is present.
        key = cls(int.from_bytes(items[1].value, "big"))
        if public_bits is not None and Point.from_bytes(public_bits) != key.public_key:
            raise DERError("EC private key does not match its embedded public key")
        return key


# ---------------------------------------------------------------------------
# X.509 certificates
# ---------------------------------------------------------------------------

OID_COMMON_NAME = "2.5.4.3"
OID_ORGANIZATION = "2.5.4.10"
OID_SUBJECT_KEY_ID = "2.5.29.14"
OID_KEY_USAGE = "2.5.29.15"
OID_SUBJECT_ALT_NAME = "2.5.29.17"
OID_BASIC_CONSTRAINTS = "2.5.29.19"
OID_AUTHORITY_KEY_ID = "2.5.29.35"
OID_EXT_KEY_USAGE = "2.5.29.37"
OID_SERVER_AUTH = "1.3.6.1.5.5.7.3.1"
OID_CLIENT_AUTH = "1.3.6.1.5.5.7.3.2"

# keyUsage named bits, already in DER form (trailing zero bits dropped).
_KU_CA = der_bit_string(b"\x86", 1)  # digitalSignature, keyCertSign, cRLSign
_KU_LEAF = der_bit_string(b"\x80", 7)  # digitalSignature (ECDSA keys cannot encipher)
_EXT_KEY_USAGE = (("server", OID_SERVER_AUTH), ("client", OID_CLIENT_AUTH))
_PEM_RE = re.compile(rb"-----BEGIN ([A-Z0-9 ]+)-----(.*?)-----END \1-----", re.DOTALL)


@dataclasses.dataclass(frozen=True)
class CertInfo:
    """The fields of a certificate this server cares about."""

    subject_cn: str
    organizations: list[str]
    issuer_cn: str
    not_before: _dt.datetime
    not_after: _dt.datetime
    dns_names: list[str]
    ip_addresses: list[str]
    is_ca: bool
    public_key: Point | None  # None for keys other than EC P-256 (e.g. RSA)
    serial: int
    signature_algorithm: str  # dotted OID
    ext_key_usage: list[str]  # dotted OIDs
    subject_key_id: bytes | None = dataclasses.field(repr=False)
    authority_key_id: bytes | None = dataclasses.field(repr=False)
    subject_der: bytes = dataclasses.field(repr=False)
    issuer_der: bytes = dataclasses.field(repr=False)
    tbs: bytes = dataclasses.field(repr=False)
    signature: bytes = dataclasses.field(repr=False)
    der: bytes = dataclasses.field(repr=False)

    def verify_signed_by(self, issuer_public_key: Point | None) -> bool:
        """True if the ecdsa-with-SHA256 signature verifies; False for anything else."""
        if issuer_public_key is None or self.signature_algorithm != OID_ECDSA_SHA256:
            return False
        return verify_signature(issuer_public_key, self.tbs, self.signature)


def _pem_encode(label: str, der: bytes) -> bytes:
    b64 = base64.b64encode(der)
    lines = [b64[i : i + 64] for i in range(0, len(b64), 64)]
    tag = label.encode("ascii")
    return b"-----BEGIN " + tag + b"-----\n" + b"\n".join(lines) + b"\n-----END " + tag + b"-----\n"


def _pem_blocks(pem: bytes | str) -> list[tuple[str, bytes]]:
    if isinstance(pem, str):
        pem = pem.encode("ascii", "replace")
    blocks = []
    for match in _PEM_RE.finditer(pem):
        label = match.group(1).decode("ascii")
        body = match.group(2)
        if b":" in body:
            raise DERError(f"PEM {label} block has headers (encrypted?), which are not supported")
        try:
            der = base64.b64decode(b"".join(body.split()), validate=True)
        except ValueError as exc:
            raise DERError(f"bad base64 in PEM {label} block") from exc
        blocks.append((label, der))
    return blocks


def cert_to_pem(der: bytes) -> bytes:
    return _pem_encode("CERTIFICATE", der)


def pem_to_ders(pem: bytes | str) -> list[bytes]:
    """The DER of every CERTIFICATE block, in file order."""
    return [der for label, der in _pem_blocks(pem) if label == "CERTIFICATE"]


def _key_id(point: Point) -> bytes:
    # RFC 5280 4.2.1.2 method (1): SHA-1 of the subjectPublicKey bits.
    return hashlib.sha1(point.to_bytes(), usedforsecurity=False).digest()


def _spki(point: Point) -> bytes:
    return der_sequence(
        der_sequence(der_oid(OID_EC_PUBLIC_KEY), der_oid(OID_P256)),
        der_bit_string(point.to_bytes()),
    )


def _encode_name(common_name: str, organizations: Iterable[str]) -> bytes:
    # One RDN per attribute, O first then CN, like `openssl req -subj /O=../CN=..`.
    rdns = [der_set(der_sequence(der_oid(OID_ORGANIZATION), der_string(org))) for org in organizations]
    rdns.append(der_set(der_sequence(der_oid(OID_COMMON_NAME), der_string(common_name))))
    return der_sequence(*rdns)


def _extension(oid: str, value: bytes, critical: bool = False) -> bytes:
    parts = [der_oid(oid)]
    if critical:  # DER omits a BOOLEAN that equals its DEFAULT FALSE
        parts.append(der_boolean(True))
    parts.append(der_octet_string(value))
    return der_sequence(*parts)


def make_certificate(
    *,
    subject_cn: str,
    organizations: Iterable[str] = (),
    public_key: Point,
    issuer_cert_der: bytes | None = None,
    issuer_key: PrivateKey,
    is_ca: bool = False,
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[IPLike] = (),
    usage: str = "server",
    not_before: _dt.datetime,
    not_after: _dt.datetime,
    serial: int | None = None,
) -> bytes:
    """Builds and signs an X.509 v3 certificate (ecdsa-with-SHA256); returns DER.

    ``usage`` is "server", "client" or "ca"; "ca" (or ``is_ca``) makes a CA.
    Self-signed when ``issuer_cert_der`` is None, in which case ``issuer_key``
    must be the key of ``public_key``.
    """
    if usage not in ("server", "client", "ca"):
        raise ValueError(f"usage must be 'server', 'client' or 'ca', not {usage!r}")
    ca = is_ca or usage == "ca"
    start, end = _utc(not_before), _utc(not_after)
    if end <= start:
        raise ValueError("not_after must be later than not_before")
    if serial is None:
        serial = secrets.randbelow((1 << 128) - 1) + 1
    elif serial <= 0 or serial.bit_length() > 159:  # RFC 5280: positive, at most 20 octets
        raise ValueError("serial must be a positive integer of at most 20 octets")
    public_key = Point(*public_key)
    if not public_key.is_on_curve():
        raise ValueError("public_key is not a P-256 point")

    subject = _encode_name(subject_cn, organizations)
    if issuer_cert_der is None:
        if issuer_key.public_key != public_key:
            raise ValueError("a self-signed certificate needs issuer_key to be the subject's key")
        issuer_name = subject
        authority_key_id = _key_id(public_key)
    else:
        issuer = parse_certificate(issuer_cert_der)
        if issuer.public_key != issuer_key.public_key:
            raise ValueError("issuer_key does not match the issuer certificate")
        if not issuer.is_ca:
            raise ValueError("the issuer certificate is not a CA")
        issuer_name = issuer.subject_der  # byte-for-byte, so name chaining always matches
        authority_key_id = issuer.subject_key_id or _key_id(issuer_key.public_key)

    extensions = [
        _extension(OID_BASIC_CONSTRAINTS, der_sequence(der_boolean(True)) if ca else der_sequence(), critical=True),
        _extension(OID_KEY_USAGE, _KU_CA if ca else _KU_LEAF, critical=True),
    ]
    for name, oid in _EXT_KEY_USAGE:
        if usage == name:
            extensions.append(_extension(OID_EXT_KEY_USAGE, der_sequence(der_oid(oid))))
    alt_names = []
    for dns in dns_names:
        try:
            alt_names.append(der_implicit(2, dns.encode("ascii")))
        except UnicodeEncodeError:
            raise ValueError(f"DNS name {dns!r} must be ASCII (use its IDNA A-label)") from None
    for ip in ip_addresses:
        alt_names.append(der_implicit(7, ipaddress.ip_address(ip).packed))
    if alt_names:
        extensions.append(_extension(OID_SUBJECT_ALT_NAME, der_sequence(*alt_names)))
    extensions.append(_extension(OID_SUBJECT_KEY_ID, der_octet_string(_key_id(public_key))))
    extensions.append(_extension(OID_AUTHORITY_KEY_ID, der_sequence(der_implicit(0, authority_key_id))))

    algorithm = der_sequence(der_oid(OID_ECDSA_SHA256))
    tbs = der_sequence(
        der_explicit(0, der_integer(2)),  # v3
        der_integer(serial),
        algorithm,
        issuer_name,
        der_sequence(der_time(start), der_time(end)),
        subject,
        _spki(public_key),
        der_explicit(3, der_sequence(*extensions)),
    )
    return der_sequence(tbs, algorithm, der_bit_string(issuer_key.sign(tbs)))


def _parse_name(item: DERItem) -> tuple[str, list[str]]:
    # The last CN wins, as in Go's pkix.Name, which is what Kubernetes reads.
    common_name = ""
    organizations = []
    for rdn in der_children(item.value):
        for attribute in der_children(rdn.value):
            parts = der_children(attribute.value)
            oid = der_parse_oid(parts[0].value)
            if oid == OID_COMMON_NAME:
                common_name = der_parse_string(parts[1].tag, parts[1].value)
            elif oid == OID_ORGANIZATION:
                organizations.append(der_parse_string(parts[1].tag, parts[1].value))
    return common_name, organizations


def _parse_public_key(item: DERItem) -> Point | None:
    algorithm_item, key_item = der_children(item.value)[:2]
    algorithm = der_children(algorithm_item.value)
    if der_parse_oid(algorithm[0].value) != OID_EC_PUBLIC_KEY:
        return None
    if len(algorithm) < 2 or algorithm[1].tag != TAG_OID or der_parse_oid(algorithm[1].value) != OID_P256:
        return None
    return Point.from_bytes(der_parse_bit_string(key_item.value))


def parse_certificate(der: bytes) -> CertInfo:
    """Decodes a DER certificate; raises DERError (a ValueError) if it is malformed."""
    try:
        return _parse_certificate(bytes(der))
    except DERError:
        raise
    except (ValueError, IndexError) as exc:
        raise DERError(f"malformed certificate: {exc}") from exc


def _parse_certificate(der: bytes) -> CertInfo:
    tbs_item, algorithm_item, signature_item = der_children(der_decode(der, TAG_SEQUENCE))
    if tbs_item.tag != TAG_SEQUENCE or signature_item.tag != TAG_BIT_STRING:
        raise DERError("not an X.509 certificate")
    signature_algorithm = der_parse_oid(der_children(algorithm_item.value)[0].value)
    fields = der_children(tbs_item.value)
    if fields[0].tag == 0xA0:  # explicit version; absent means v1
        fields = fields[1:]
    serial_item, _, issuer_item, validity_item, subject_item, spki_item = fields[:6]
    subject_cn, organizations = _parse_name(subject_item)
    issuer_cn, _ = _parse_name(issuer_item)
    start_item, end_item = der_children(validity_item.value)

    is_ca = False
    dns_names: list[str] = []
    ip_addresses: list[str] = []
    ext_key_usage: list[str] = []
    subject_key_id = authority_key_id = None
    for item in fields[6:]:
        if item.tag != 0xA3:  # issuer/subject unique IDs are obsolete; skip them
            continue
        for extension in der_children(der_decode(item.value, TAG_SEQUENCE)):
            parts = der_children(extension.value)
            oid = der_parse_oid(parts[0].value)
            if parts[-1].tag != TAG_OCTET_STRING:
                raise DERError("extension value must be an OCTET STRING")
            value = parts[-1].value
            if oid == OID_BASIC_CONSTRAINTS:
                constraints = der_children(der_decode(value, TAG_SEQUENCE))
                is_ca = bool(constraints) and constraints[0].tag == TAG_BOOLEAN and constraints[0].value != b"\x00"
            elif oid == OID_SUBJECT_ALT_NAME:
                for name in der_children(der_decode(value, TAG_SEQUENCE)):
                    if name.tag == 0x82:
                        dns_names.append(name.value.decode("ascii"))
                    elif name.tag == 0x87 and len(name.value) in (4, 16):
                        ip_addresses.append(str(ipaddress.ip_address(name.value)))
            elif oid == OID_EXT_KEY_USAGE:
                ext_key_usage = [der_parse_oid(usage.value) for usage in der_children(der_decode(value, TAG_SEQUENCE))]
            elif oid == OID_SUBJECT_KEY_ID:
                subject_key_id = der_decode(value, TAG_OCTET_STRING)
            elif oid == OID_AUTHORITY_KEY_ID:
                for part in der_children(der_decode(value, TAG_SEQUENCE)):
                    if part.tag == 0x80:
                        authority_key_id = part.value

    return CertInfo(
        subject_cn=subject_cn,
        organizations=organizations,
        issuer_cn=issuer_cn,
        not_before=der_parse_time(start_item.tag, start_item.value),
        not_after=der_parse_time(end_item.tag, end_item.value),
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        is_ca=is_ca,
        public_key=_parse_public_key(spki_item),
        serial=der_parse_integer(serial_item.value),
        signature_algorithm=signature_algorithm,
        ext_key_usage=ext_key_usage,
        subject_key_id=subject_key_id,
        authority_key_id=authority_key_id,
        subject_der=subject_item.raw,
        issuer_der=issuer_item.raw,
        tbs=tbs_item.raw,
        signature=der_parse_bit_string(signature_item.value),
        der=der,
    )


# ---------------------------------------------------------------------------
# The server's certificate directory and kubeconfig
# ---------------------------------------------------------------------------

ADMIN_USER = "kubernetes-admin"
ADMIN_GROUP = "system:masters"
_BACKDATE = _dt.timedelta(hours=1)  # tolerate clients whose clocks run a little slow
_CA_LIFETIME = _dt.timedelta(days=3650)
_LEAF_LIFETIME = _dt.timedelta(days=365)
_RENEW_BEFORE = _dt.timedelta(days=30)


@dataclasses.dataclass(frozen=True)
class PKIFiles:
    """Paths of the server's certificate files."""

    cert_dir: Path
    ca_cert: Path
    ca_key: Path
    serving_cert: Path
    serving_key: Path
    admin_cert: Path
    admin_key: Path

    @classmethod
    def in_dir(cls, cert_dir: PathLike) -> PKIFiles:
        base = Path(cert_dir)
        return cls(
            cert_dir=base,
            ca_cert=base / "ca.crt",
            ca_key=base / "ca.key",
            serving_cert=base / "apiserver.crt",
            serving_key=base / "apiserver.key",
            admin_cert=base / "admin.crt",
            admin_key=base / "admin.key",
        )


def _atomic_write(path: PathLike, data: bytes | str, mode: int) -> None:
    path = Path(path)
    if isinstance(data, str):
        data = data.encode("utf-8")
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(6)}.tmp")
    try:
        # Created 0600 from the start so a key is never readable by others, even briefly.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0), 0o600)
    except OSError as exc:
        raise PKIError(f"cannot write {path}: {exc.strerror or exc} (is {path.parent} writable?)") from exc
    try:
        with os.fdopen(fd, "wb") as handle:
            if mode != 0o600:
                os.fchmod(handle.fileno(), mode)
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except OSError as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise PKIError(f"cannot write {path}: {exc.strerror or exc}") from exc


def write_private_file(path: PathLike, data: bytes | str) -> None:
    """Atomically writes ``data`` to ``path`` with mode 0600; raises PKIError."""
    _atomic_write(path, data, 0o600)


def _read(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


class _Loaded(NamedTuple):
    chain: list[bytes]
    info: CertInfo
    key: PrivateKey


def _load_pair(cert_path: Path, key_path: Path) -> _Loaded | None:
    """A certificate file and its key, or None if either is missing or unusable."""
    cert_pem, key_pem = _read(cert_path), _read(key_path)
    if cert_pem is None or key_pem is None:
        return None
    try:
        chain = pem_to_ders(cert_pem)
        if not chain:
            return None
        info = parse_certificate(chain[0])
        key = PrivateKey.from_pem(key_pem)
    except ValueError:
        return None
    if info.public_key != key.public_key:
        return None
    # Reused keys get their permissions tightened in case someone loosened them.
    with contextlib.suppress(OSError):
        if key_path.stat().st_mode & 0o077:
            key_path.chmod(0o600)
    return _Loaded(chain, info, key)


def _current(info: CertInfo, now: _dt.datetime, margin: _dt.timedelta) -> bool:
    return info.not_before <= now and info.not_after - now > margin


def _leaf_ok(leaf: _Loaded, ca: _Loaded, now: _dt.datetime, usage_oid: str) -> bool:
    """A reusable leaf: right usage, signed by ``ca`` and more than 30 days left."""
    info = leaf.info
    return (
        not info.is_ca
        and usage_oid in info.ext_key_usage
        and info.issuer_der == ca.info.subject_der
        and _current(info, now, _RENEW_BEFORE)
        and info.verify_signed_by(ca.info.public_key)
    )


def _requested_sans(hosts: Iterable[str], ips: Iterable[IPLike]) -> tuple[list[str], list[IPAddress]]:
    # A bare string would otherwise be iterated character by character.
    hosts = [hosts] if isinstance(hosts, str) else hosts
    ips = [ips] if isinstance(ips, str) else ips
    dns_names: list[str] = []
    addresses: list[IPAddress] = []
    for ip in ips:
        address = ipaddress.ip_address(ip.strip() if isinstance(ip, str) else ip)
        if address not in addresses:
            addresses.append(address)
    for host in hosts:
        host = host.strip().lower()
        if not host:
            continue
        try:
            # An IP literal given as a host belongs in an IP SAN, not a DNS one.
            address = ipaddress.ip_address(host.strip("[]"))
        except ValueError:
            if host not in dns_names:
                dns_names.append(host)
        else:
            if address not in addresses:
                addresses.append(address)
    return dns_names, addresses


def _serving_covers(info: CertInfo, dns_names: list[str], addresses: list[IPAddress]) -> bool:
    have_dns = {name.lower() for name in info.dns_names}
    have_ips = {ipaddress.ip_address(ip) for ip in info.ip_addresses}
    return set(dns_names) <= have_dns and set(addresses) <= have_ips


def _issue(
    cert_path: Path,
    key_path: Path,
    ca: _Loaded,
    now: _dt.datetime,
    *,
    subject_cn: str,
    usage: str,
    organizations: Iterable[str] = (),
    dns_names: Iterable[str] = (),
    ip_addresses: Iterable[IPLike] = (),
) -> None:
    """Writes a new key and a leaf certificate for it signed by ``ca``."""
    key = PrivateKey.generate()
    der = make_certificate(
        subject_cn=subject_cn,
        organizations=organizations,
        public_key=key.public_key,
        issuer_cert_der=ca.chain[0],
        issuer_key=ca.key,
        dns_names=dns_names,
        ip_addresses=ip_addresses,
        usage=usage,
        not_before=now - _BACKDATE,
        not_after=now + _LEAF_LIFETIME,
    )
    pem = cert_to_pem(der)
    if usage == "server":
        pem += cert_to_pem(ca.chain[0])  # serve the chain, as kube-apiserver does
    # Key first: a crash between the two writes leaves a mismatch, which is regenerated.
    write_private_file(key_path, key.to_pem())
    _atomic_write(cert_path, pem, 0o644)


def ensure_pki(
    cert_dir: PathLike,
    *,
    hosts: Iterable[str],
    ips: Iterable[IPLike],
    now: _dt.datetime | None = None,
) -> tuple[PKIFiles, bool]:
    """Creates or reuses the CA, serving and admin certificates in ``cert_dir``.

    Returns the file paths and whether anything was (re)generated. Files that
    are missing, unreadable, garbage, mismatched, expired (leaves: 30 days or
    less left) or, for the serving certificate, missing a requested SAN are
    regenerated; a new CA forces new leaves. Raises PKIError if the directory
    cannot be created or written, ValueError for a malformed ``ips`` entry.
    """
    now = _utc(now) if now is not None else _dt.datetime.now(_UTC)
    files = PKIFiles.in_dir(cert_dir)
    try:
        files.cert_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
    except OSError as exc:
        raise PKIError(f"cannot create certificate directory {files.cert_dir}: {exc.strerror or exc}") from exc
    dns_names, addresses = _requested_sans(hosts, ips)
    stamp = int(now.timestamp())

    ca = _load_pair(files.ca_cert, files.ca_key)
    new_ca = False
    if ca is None or not (ca.info.is_ca and ca.info.not_before <= now < ca.info.not_after):
        ca_key = PrivateKey.generate()
        ca_der = make_certificate(
            subject_cn=f"apiserver-ca@{stamp}",
            public_key=ca_key.public_key,
            issuer_key=ca_key,
            usage="ca",
            not_before=now - _BACKDATE,
            not_after=now + _CA_LIFETIME,
        )
        write_private_file(files.ca_key, ca_key.to_pem())
        _atomic_write(files.ca_cert, cert_to_pem(ca_der), 0o644)
        ca = _Loaded([ca_der], parse_certificate(ca_der), ca_key)
        new_ca = True

    serving = None if new_ca else _load_pair(files.serving_cert, files.serving_key)
    new_serving = not (
        serving is not None
        and _leaf_ok(serving, ca, now, OID_SERVER_AUTH)
        and serving.chain[1:] == ca.chain[:1]
        and _serving_covers(serving.info, dns_names, addresses)
    )
    if new_serving:
        _issue(
            files.serving_cert,
            files.serving_key,
            ca,
            now,
            subject_cn=f"apiserver@{stamp}",
            usage="server",
            dns_names=dns_names,
            ip_addresses=addresses,
        )

    admin = None if new_ca else _load_pair(files.admin_cert, files.admin_key)
    new_admin = not (
        admin is not None
        and _leaf_ok(admin, ca, now, OID_CLIENT_AUTH)
        and admin.info.subject_cn == ADMIN_USER
        and ADMIN_GROUP in admin.info.organizations
    )
    if new_admin:
        _issue(
            files.admin_cert,
            files.admin_key,
            ca,
            now,
            subject_cn=ADMIN_USER,
            organizations=(ADMIN_GROUP,),
            usage="client",
        )
    return files, new_ca or new_serving or new_admin


def _yaml_string(value: str) -> str:
    # A JSON string is a valid YAML double-quoted scalar, so no escaping rules of our own.
    return json.dumps(value, ensure_ascii=False)


def _b64(value: bytes | str) -> str:
    raw = value.encode("utf-8") if isinstance(value, str) else value
    return _yaml_string(base64.b64encode(raw).decode("ascii"))


def kubeconfig_yaml(
    *,
    server_url: str,
    ca_pem: bytes | str,
    client_cert_pem: bytes | str,
    client_key_pem: bytes | str,
    cluster: str = "apiserver",
    user: str = ADMIN_USER,
    context: str = "kubernetes-admin@apiserver",
) -> str:
    """A kubeconfig with embedded CA, client certificate and key (contains a secret)."""
    q = _yaml_string
    lines = [
        "apiVersion: v1",
        "kind: Config",
        "clusters:",
        f"- name: {q(cluster)}",
        "  cluster:",
        f"    server: {q(server_url)}",
        f"    certificate-authority-data: {_b64(ca_pem)}",
        "contexts:",
        f"- name: {q(context)}",
        "  context:",
        f"    cluster: {q(cluster)}",
        f"    user: {q(user)}",
        f"current-context: {q(context)}",
        "preferences: {}",
        "users:",
        f"- name: {q(user)}",
        "  user:",
        f"    client-certificate-data: {_b64(client_cert_pem)}",
        f"    client-key-data: {_b64(client_key_pem)}",
    ]
    return "\n".join(lines) + "\n"
