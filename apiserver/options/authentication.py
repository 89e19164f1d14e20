"""Authentication flags: client certificates, static tokens and anonymous requests."""

from __future__ import annotations

import ssl
from dataclasses import dataclass
from typing import List

from apiserver.auth import authentication
from apiserver.options import flags


@dataclass
class AuthenticationOptions:
    client_ca_file: str = ""
    token_auth_file: str = ""
    anonymous_auth: bool = True

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

    def complete(self):
        pass

    def validate(self) -> List[str]:
        return []

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
        # With RBAC deciding, anonymous requests reach every path and RBAC answers (upstream); without it, only
        # the public health, version and index paths, so AlwaysAllow never opens the API to everyone.
        anonymous_allowed = (lambda path: True) if "RBAC" in authorization_modes else authentication.public_path
        config.authenticator = authentication.Authenticator(
            client_certs=True, tokens=tokens, anonymous=self.anonymous_auth, anonymous_allowed=anonymous_allowed)
