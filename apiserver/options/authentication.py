"""Authentication flags: client certificates, static tokens, service account tokens and anonymous requests."""

from __future__ import annotations

import os
import ssl
from dataclasses import dataclass, field
from typing import List, Optional
from urllib.parse import urlsplit

from apiserver import pki
from apiserver.auth import authentication, jwt, serviceaccount
from apiserver.options import flags

SA_KEY, SA_PUB = "sa.key", "sa.pub"   # the generated signing key, beside the certificates
MAX_TOKEN_SECONDS = 1 << 32


def _comma_list(value: str) -> List[str]:
    return [v.strip() for v in value.split(",") if v.strip()]


@dataclass
class AuthenticationOptions:
    client_ca_file: str = ""
    token_auth_file: str = ""
    anonymous_auth: bool = True
    service_account_issuer: Optional[List[str]] = None      # repeatable; the first signs
    service_account_key_file: List[str] = field(default_factory=list)
    service_account_signing_key_file: str = ""
    service_account_max_token_expiration: float = 0.0
    service_account_extend_token_expiration: bool = True
    api_audiences: Optional[List[List[str]]] = None         # one comma list per flag
    service_account_jwks_uri: str = ""
    service_account_lookup: bool = True

    def add_flags(self, parser):
        g = parser.add_argument_group("authentication flags")
        g.add_argument("--client-ca-file", dest="authentication.client_ca_file", default=self.client_ca_file,
                       metavar="path", help="CA bundle for client certificates (CN = user, O = groups); "
                                            "the generated CA is always trusted too, for the admin kubeconfig")
        g.add_argument("--token-auth-file", dest="authentication.token_auth_file", default=self.token_auth_file,
                       metavar="path", help='static bearer tokens, CSV: token,user,uid[,"group1,group2"]')
        flags.add_bool(g, "--anonymous-auth", self.anonymous_auth,
                       "let requests without credentials in as system:anonymous (with RBAC, its rules decide; "
                       "otherwise only /healthz, /livez, /readyz, /version and /)",
                       dest="authentication.anonymous_auth")
        g.add_argument("--service-account-issuer", dest="authentication.service_account_issuer", action="append",
                       metavar="issuer", help="identifier of the service account token issuer (iss); repeat it to "
                       "accept more issuers, the first one signs (default "
                       f"{serviceaccount.DEFAULT_ISSUER})")
        g.add_argument("--service-account-key-file", dest="authentication.service_account_key_file",
                       action="append", default=[], metavar="path",
                       help="PEM file of RSA or ECDSA public or private keys to verify service account tokens with "
                            "(repeatable); the signing key's public key is always accepted")
        g.add_argument("--service-account-signing-key-file", dest="authentication.service_account_signing_key_file",
                       default="", metavar="path", help=f"PEM private key (ECDSA P-256 or RSA) to sign service "
                       f"account tokens with (default: generated as <cert-dir>/{SA_KEY})")
        g.add_argument("--service-account-max-token-expiration", type=flags.duration, default=0.0,
                       dest="authentication.service_account_max_token_expiration", metavar="duration",
                       help="longest validity of a token from TokenRequest; longer requests are shortened "
                            "(default 0: no limit)")
        flags.add_bool(g, "--service-account-extend-token-expiration", True,
                       "extend pod-bound tokens asked for 3607s (the kubelet's) to a year, warning after the asked "
                       "time", dest="authentication.service_account_extend_token_expiration")
        flags.add_bool(g, "--service-account-lookup", True, "check that a Secret-held service account token is "
                       "still in its Secret", dest="authentication.service_account_lookup")
        g.add_argument("--service-account-jwks-uri", dest="authentication.service_account_jwks_uri", default="",
                       metavar="url", help="jwks_uri of /.well-known/openid-configuration (default: "
                                           f"https://<this server>{serviceaccount.JWKS_PATH})")
        g.add_argument("--api-audiences", dest="authentication.api_audiences", type=_comma_list, action="append",
                       metavar="audiences", help="identifiers of the API: tokens must be bound to one of them "
                                                 "(default: the first --service-account-issuer)")

    def complete(self):
        if not self.service_account_issuer:
            self.service_account_issuer = [serviceaccount.DEFAULT_ISSUER]

    def issuers(self) -> List[str]:
        return self.service_account_issuer or [serviceaccount.DEFAULT_ISSUER]

    def audiences(self) -> List[str]:
        auds = [a for group in self.api_audiences or () for a in group]
        return auds or self.issuers()[:1]

    def validate(self) -> List[str]:
        errors = []
        seen = set()
        for issuer in self.service_account_issuer or ():
            if ":" in issuer:
                try:
                    urlsplit(issuer)
                except ValueError as err:
                    errors.append(f"service-account-issuer {issuer!r} contained a ':' but was not a valid URL: {err}")
                    continue
            if not issuer:
                errors.append("service-account-issuer should not be an empty string")
                continue
            if issuer in seen:
                errors.append(f'service-account-issuer "{issuer}" is already specified')
                continue
            seen.add(issuer)
        expiration = self.service_account_max_token_expiration
        if self.service_account_jwks_uri:
            parts = urlsplit(self.service_account_jwks_uri)
            if parts.scheme != "https" or not parts.netloc:
                errors.append("service-account-jwks-uri requires https scheme, parsed as: "
                              f"{self.service_account_jwks_uri}")
        if expiration and not 3600 <= expiration <= MAX_TOKEN_SECONDS:
            errors.append("the service-account-max-token-expiration must be between 1 hour and 2^32 seconds")
        return errors

    def _signing_key(self, cert_dir: str) -> jwt.SigningKey:
        """The key TokenRequest signs with: the flag's file, else ``<cert-dir>/sa.key``, made on first start."""
        if self.service_account_signing_key_file:
            path, flag = self.service_account_signing_key_file, "--service-account-signing-key-file"
        else:
            path, flag = os.path.join(cert_dir, SA_KEY), "--cert-dir"
            if not os.path.exists(path):
                key = jwt.ECSigningKey(pki.PrivateKey.generate())
                try:
                    pki.write_private_file(path, jwt.ec_private_pem(key))
                    with open(os.path.join(cert_dir, SA_PUB), "wb") as f:
                        f.write(jwt.public_pem(key.public))
                except (pki.PKIError, OSError) as err:
                    raise ValueError(f"{flag}: cannot write the service account key: {err}") from None
                return key
        try:
            with open(path, "rb") as f:
                return jwt.load_signing_key(f.read())
        except OSError as err:
            raise ValueError(f"{flag} {path!r}: cannot read it: {err.strerror}") from None
        except ValueError as err:
            raise ValueError(f"{flag} {path!r}: {err}") from None

    def _verification_keys(self, signing: jwt.SigningKey) -> List[jwt.PublicKey]:
        keys = [signing.public]
        for path in self.service_account_key_file:
            try:
                with open(path, "rb") as f:
                    loaded = jwt.load_public_keys(f.read())
            except OSError as err:
                raise ValueError(f"--service-account-key-file {path!r}: cannot read it: {err.strerror}") from None
            except ValueError as err:
                raise ValueError(f"--service-account-key-file {path!r}: {err}") from None
            keys.extend(k for k in loaded if k not in keys)
        return keys

    def apply_to(self, config, serving, authorization_modes=()):
        context: ssl.SSLContext = config.secure_serving.ssl_context
        try:
            context.load_verify_locations(serving.pki_files.ca_cert)
            if self.client_ca_file:
                context.load_verify_locations(self.client_ca_file)
        except (OSError, ssl.SSLError) as err:
            raise ValueError(f"--client-ca-file {self.client_ca_file!r}: cannot load it: {err}") from None
        context.verify_mode = ssl.CERT_OPTIONAL
        tokens = {}
        if self.token_auth_file:
            try:
                tokens = authentication.load_token_file(self.token_auth_file)
            except (OSError, UnicodeDecodeError) as err:
                raise ValueError(f"--token-auth-file {self.token_auth_file!r}: cannot read it: {err}") from None
            except ValueError as err:
                raise ValueError(f"--token-auth-file: {err}") from None
        signing = self._signing_key(serving.cert_dir)
        audiences = self.audiences()
        config.api_audiences = audiences
        keys = self._verification_keys(signing)
        config.token_issuer = serviceaccount.TokenIssuer(
            self.issuers()[0], signing, audiences, int(self.service_account_max_token_expiration),
            self.service_account_extend_token_expiration, keys, self.service_account_jwks_uri)
        getter = serviceaccount.storage_getter(config.store)
        legacy = serviceaccount.ServiceAccountTokenAuthenticator(   # Secret-held tokens, as upstream: first
            [serviceaccount.LEGACY_ISSUER], keys, audiences,
            serviceaccount.LegacyValidator(getter, self.service_account_lookup))
        bound = serviceaccount.ServiceAccountTokenAuthenticator(
            self.issuers(), keys, audiences, serviceaccount.BoundValidator(getter))
        # With RBAC deciding, anonymous requests reach every path and RBAC answers (upstream); without it, only
        # the public health, version and index paths, so AlwaysAllow never opens the API to everyone.
        anonymous_allowed = (lambda path: True) if "RBAC" in authorization_modes else authentication.public_path
        config.authenticator = authentication.Authenticator(
            client_certs=True, tokens=tokens, anonymous=self.anonymous_auth, anonymous_allowed=anonymous_allowed,
            token_authenticators=[legacy, bound], api_audiences=audiences)
