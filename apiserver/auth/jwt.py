"""JSON Web Tokens in JWS compact form, signed with ES256 or RS256, with the standard library only.

ES256 reuses ``apiserver.pki``'s P-256 code (JWS carries the signature as the raw 64-byte ``r || s``, not
DER); RS256 is RSASSA-PKCS1-v1_5 over SHA-256, a few lines of modular arithmetic. Keys are read from PEM as
kube-apiserver's ``keyutil`` does: EC or RSA, private (SEC1, PKCS#1, PKCS#8) or public (PKIX, PKCS#1,
certificates). Error strings are those of gopkg.in/square/go-jose.v2 (kube-apiserver 1.32's), since TokenReview
shows them to clients: every failed verification is "error in cryptographic primitive", whatever the cause.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
from typing import List, Optional, Tuple, Union

from apiserver import pki

OID_RSA = "1.2.840.113549.1.1.1"
# DigestInfo for SHA-256 (RFC 8017 9.2 note 1), which precedes the hash in a PKCS#1 v1.5 signature.
_SHA256_DIGEST_INFO = bytes.fromhex("3031300d060960864801650304020105000420")

ERR_CRYPTO = "square/go-jose: error in cryptographic primitive"
ERR_COMPACT = "square/go-jose: compact JWS format must have three parts"


class JWTError(ValueError):
    """A token that cannot be parsed or verified; the message is safe to show (it never contains the token).
    ``messages`` are the errors an aggregate of several (one per key) was made of."""

    def __init__(self, message: str, messages: Optional[List[str]] = None):
        super().__init__(message)
        self.messages = messages or [message]


def b64url_encode(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def b64url_decode(text: str) -> bytes:
    """Go's RawURLEncoding: the URL alphabet, no padding; anything else is an error."""
    if "=" in text or any(c in text for c in "+/ \n\r\t"):
        raise JWTError("illegal base64 data")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except (binascii.Error, ValueError):
        raise JWTError("illegal base64 data") from None


# -- keys


class ECPublicKey:
    alg = "ES256"

    def __init__(self, point: pki.Point):
        self.point = point

    def der(self) -> bytes:
        """PKIX SubjectPublicKeyInfo, as x509.MarshalPKIXPublicKey writes it."""
        return pki.der_sequence(pki.der_sequence(pki.der_oid(pki.OID_EC_PUBLIC_KEY), pki.der_oid(pki.OID_P256)),
                                pki.der_bit_string(self.point.to_bytes()))

    def verify(self, alg: str, data: bytes, signature: bytes) -> None:
        if alg != "ES256" or len(signature) != 64:
            raise JWTError(ERR_CRYPTO)
        r, s = int.from_bytes(signature[:32], "big"), int.from_bytes(signature[32:], "big")
        if not pki.verify_signature(self.point, data, pki.der_sequence(pki.der_integer(r), pki.der_integer(s))):
            raise JWTError(ERR_CRYPTO)

    def __eq__(self, other):
        return isinstance(other, ECPublicKey) and other.point == self.point

    def __hash__(self):
        return hash(self.point)


class RSAPublicKey:
    alg = "RS256"

    def __init__(self, n: int, e: int):
        self.n, self.e = n, e

    @property
    def size(self) -> int:
        return (self.n.bit_length() + 7) // 8

    def der(self) -> bytes:
        pkcs1 = pki.der_sequence(pki.der_integer(self.n), pki.der_integer(self.e))
        return pki.der_sequence(pki.der_sequence(pki.der_oid(OID_RSA), pki.der_null()), pki.der_bit_string(pkcs1))

    def verify(self, alg: str, data: bytes, signature: bytes) -> None:
        k = self.size
        if alg != "RS256":
            raise JWTError(ERR_CRYPTO)
        if len(signature) != k:
            raise JWTError(ERR_CRYPTO)
        s = int.from_bytes(signature, "big")
        if s >= self.n:
            raise JWTError(ERR_CRYPTO)
        if pow(s, self.e, self.n).to_bytes(k, "big") != _pkcs1_v15_encode(data, k):
            raise JWTError(ERR_CRYPTO)

    def __eq__(self, other):
        return isinstance(other, RSAPublicKey) and (other.n, other.e) == (self.n, self.e)

    def __hash__(self):
        return hash((self.n, self.e))


def _pkcs1_v15_encode(data: bytes, k: int) -> bytes:
    t = _SHA256_DIGEST_INFO + hashlib.sha256(data).digest()
    if k < len(t) + 11:
        raise JWTError("crypto/rsa: key size too small for PKCS#1 v1.5 signature")
    return b"\x00\x01" + b"\xff" * (k - len(t) - 3) + b"\x00" + t


PublicKey = Union[ECPublicKey, RSAPublicKey]


class ECSigningKey:
    alg = "ES256"

    def __init__(self, key: pki.PrivateKey):
        self.key = key
        self.public = ECPublicKey(key.public_key)

    def sign(self, data: bytes) -> bytes:
        items = pki.der_children(pki.der_decode(self.key.sign(data), pki.TAG_SEQUENCE))
        r, s = (pki.der_parse_integer(item.value) for item in items)
        return r.to_bytes(32, "big") + s.to_bytes(32, "big")

    def __repr__(self):
        return "ECSigningKey(...)"   # never the secret


class RSASigningKey:
    alg = "RS256"

    def __init__(self, n: int, e: int, d: int, p: int = 0, q: int = 0):
        self.public = RSAPublicKey(n, e)
        self._d, self._p, self._q = d, p, q

    def sign(self, data: bytes) -> bytes:
        k = self.public.size
        m = int.from_bytes(_pkcs1_v15_encode(data, k), "big")
        n, p, q = self.public.n, self._p, self._q
        if p and q:   # CRT: four times faster than one big exponentiation
            m1, m2 = pow(m, self._d % (p - 1), p), pow(m, self._d % (q - 1), q)
            s = m2 + q * ((pow(q, -1, p) * (m1 - m2)) % p)
        else:
            s = pow(m, self._d, n)
        if pow(s, self.public.e, n) != m:   # a fault in the CRT must never leak a bad signature
            raise JWTError("crypto/rsa: verification of the signature failed")
        return s.to_bytes(k, "big")

    def __repr__(self):
        return "RSASigningKey(...)"


SigningKey = Union[ECSigningKey, RSASigningKey]


def key_id(public: PublicKey) -> str:
    """kube-apiserver's ``kid``: unpadded base64url of SHA-256 over the PKIX DER of the public key."""
    return b64url_encode(hashlib.sha256(public.der()).digest())


def _ints(content: bytes) -> List[int]:
    return [pki.der_parse_integer(item.value) for item in pki.der_children(content) if item.tag == pki.TAG_INTEGER]


def _rsa_private(der: bytes) -> RSASigningKey:
    values = _ints(pki.der_decode(der, pki.TAG_SEQUENCE))
    if len(values) < 6 or values[0] != 0:
        raise pki.DERError("not a PKCS#1 RSA private key")
    _, n, e, d, p, q = values[:6]
    if p * q != n:
        raise pki.DERError("RSA private key primes do not match its modulus")
    return RSASigningKey(n, e, d, p, q)


def _rsa_public_pkcs1(der: bytes) -> RSAPublicKey:
    values = _ints(pki.der_decode(der, pki.TAG_SEQUENCE))
    if len(values) != 2:
        raise pki.DERError("not a PKCS#1 RSA public key")
    return RSAPublicKey(values[0], values[1])


def _pkcs8(der: bytes) -> SigningKey:
    items = pki.der_children(pki.der_decode(der, pki.TAG_SEQUENCE))
    if len(items) >= 3 and items[1].tag == pki.TAG_SEQUENCE:
        algorithm = pki.der_children(items[1].value)
        if algorithm and pki.der_parse_oid(algorithm[0].value) == OID_RSA:
            if items[2].tag != pki.TAG_OCTET_STRING:
                raise pki.DERError("PKCS#8 privateKey must be an OCTET STRING")
            return _rsa_private(items[2].value)
    return ECSigningKey(pki.PrivateKey.from_der(der))


def _spki(der: bytes) -> PublicKey:
    algorithm_item, key_item = pki.der_children(pki.der_decode(der, pki.TAG_SEQUENCE))[:2]
    algorithm = pki.der_children(algorithm_item.value)
    oid = pki.der_parse_oid(algorithm[0].value)
    bits = pki.der_parse_bit_string(key_item.value)
    if oid == OID_RSA:
        return _rsa_public_pkcs1(bits)
    if oid == pki.OID_EC_PUBLIC_KEY:
        if len(algorithm) < 2 or pki.der_parse_oid(algorithm[1].value) != pki.OID_P256:
            raise pki.DERError("only P-256 EC keys are supported")
        return ECPublicKey(pki.Point.from_bytes(bits))
    raise pki.DERError(f"unsupported public key algorithm {oid}")


def _blocks(pem: Union[bytes, str]) -> List[Tuple[str, bytes]]:
    return pki._pem_blocks(pem)  # noqa: SLF001 - the PEM reader is shared with the certificate code


def load_signing_key(pem: Union[bytes, str]) -> SigningKey:
    """The first private key of a PEM file (EC P-256 or RSA); raises ValueError."""
    for label, der in _blocks(pem):
        if label == "EC PRIVATE KEY":
            return ECSigningKey(pki.PrivateKey.from_der(der))
        if label == "RSA PRIVATE KEY":
            return _rsa_private(der)
        if label == "PRIVATE KEY":
            return _pkcs8(der)
        if label == "ENCRYPTED PRIVATE KEY":
            raise pki.DERError("encrypted private keys are not supported")
    raise pki.DERError("data does not contain a valid RSA or ECDSA private key")


def load_public_keys(pem: Union[bytes, str]) -> List[PublicKey]:
    """Every public key of a PEM file: public keys, the public half of private keys, certificates' keys."""
    keys: List[PublicKey] = []
    for label, der in _blocks(pem):
        try:
            if label == "PUBLIC KEY":
                keys.append(_spki(der))
            elif label == "RSA PUBLIC KEY":
                keys.append(_rsa_public_pkcs1(der))
            elif label in ("EC PRIVATE KEY", "RSA PRIVATE KEY", "PRIVATE KEY"):
                keys.append(load_signing_key(_pem(label, der)).public)
            elif label == "CERTIFICATE":
                tbs = pki.der_children(pki.der_children(pki.der_decode(der, pki.TAG_SEQUENCE))[0].value)
                spki = tbs[6] if tbs and tbs[0].tag == 0xA0 else tbs[5]
                keys.append(_spki(pki.der_tlv(spki.tag, spki.value)))
        except (ValueError, IndexError) as err:
            raise pki.DERError(f"{label}: {err}") from None
    if not keys:
        raise pki.DERError("data does not contain any valid RSA or ECDSA public keys")
    return keys


def _pem(label: str, der: bytes) -> bytes:
    return pki._pem_encode(label, der)  # noqa: SLF001


def public_pem(public: PublicKey) -> bytes:
    return _pem("PUBLIC KEY", public.der())


def ec_private_pem(key: ECSigningKey) -> bytes:
    return key.key.to_pem()


# -- tokens


def _json(obj) -> bytes:
    # go-jose marshals claims from a map: keys sorted, no spaces
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def sign(claims: dict, key: SigningKey, kid: Optional[str] = None) -> str:
    header = {"alg": key.alg, "kid": kid if kid is not None else key_id(key.public)}
    signing_input = b64url_encode(json.dumps(header, separators=(",", ":")).encode()) + "." + \
        b64url_encode(_json(claims))
    return signing_input + "." + b64url_encode(key.sign(signing_input.encode("ascii")))


def unverified_claims(token: str) -> Optional[dict]:
    """The payload of a three-part token, unverified (only to route it by issuer), or None."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        payload = json.loads(b64url_decode(parts[1]))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return payload if isinstance(payload, dict) else None


def parse(token: str) -> Tuple[dict, bytes, bytes]:
    """(header, signing input, signature) of a compact JWS; raises JWTError."""
    parts = token.split(".")
    if len(parts) != 3:
        raise JWTError(ERR_COMPACT)
    try:
        header = json.loads(b64url_decode(parts[0]))
        signature = b64url_decode(parts[2])
    except (ValueError, UnicodeDecodeError, RecursionError) as err:
        raise JWTError(f"square/go-jose: {err}") from None
    if not isinstance(header, dict) or not isinstance(header.get("alg"), str):
        raise JWTError("square/go-jose: invalid protected header")
    return header, (parts[0] + "." + parts[1]).encode("ascii"), signature


def verify(token: str, keys: List[PublicKey]) -> dict:
    """The claims of a token signed by one of ``keys``; raises JWTError with go-jose's aggregated message."""
    header, signing_input, signature = parse(token)
    errors: List[str] = []
    for key in keys:
        try:
            key.verify(header["alg"], signing_input, signature)
        except JWTError as err:
            if str(err) not in errors:
                errors.append(str(err))
            continue
        claims = unverified_claims(token)
        if claims is None:
            raise JWTError("square/go-jose/jwt: claims are not a JSON object")
        return claims
    if not errors:
        raise JWTError("no public keys to verify the token with")
    raise JWTError(errors[0] if len(errors) == 1 else "[" + ", ".join(errors) + "]", errors)
