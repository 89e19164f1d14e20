"""Secure serving: where to listen, which certificate to serve, and the admin kubeconfig
(apiserver ``options/serving.go``, with the project's ``--write-kubeconfig``)."""

from __future__ import annotations

import errno
import ipaddress
import os
import socket
import ssl
from dataclasses import dataclass
from typing import List, Optional

from apiserver import logs, pki
from apiserver.options import flags
from apiserver.server.secure_serving import SecureServingInfo

log = logs.get_logger(__name__)

TLS_VERSIONS = {"VersionTLS10": ssl.TLSVersion.TLSv1, "VersionTLS11": ssl.TLSVersion.TLSv1_1,
                "VersionTLS12": ssl.TLSVersion.TLSv1_2, "VersionTLS13": ssl.TLSVersion.TLSv1_3}
SERVICE_NAMES = ("kubernetes", "kubernetes.default", "kubernetes.default.svc")


@dataclass
class SecureServingOptions:
    bind_address: str = "127.0.0.1"
    secure_port: int = 6443
    cert_dir: str = ""
    tls_cert_file: str = ""
    tls_private_key_file: str = ""
    tls_min_version: str = ""
    write_kubeconfig: str = ""
    pki_files: Optional[pki.PKIFiles] = None

    def add_flags(self, parser):
        g = parser.add_argument_group("secure serving flags")
        g.add_argument("--bind-address", dest="secure_serving.bind_address", type=flags.ip_address,
                       default=self.bind_address, metavar="ip",
                       help="IP address to listen on; 0.0.0.0 or :: for all interfaces (default 127.0.0.1)")
        g.add_argument("--secure-port", dest="secure_serving.secure_port", type=flags.integer,
                       default=self.secure_port, metavar="int",
                       help="HTTPS port; 0 picks a free port, which is logged and written to the kubeconfig "
                            "(default 6443)")
        g.add_argument("--cert-dir", dest="secure_serving.cert_dir", default=self.cert_dir, metavar="path",
                       help="where generated certificates are kept (default <data-dir>/pki)")
        g.add_argument("--tls-cert-file", dest="secure_serving.tls_cert_file", default=self.tls_cert_file,
                       metavar="path", help="serving certificate (PEM, chain after the leaf); "
                                            "without it one is generated under --cert-dir")
        g.add_argument("--tls-private-key-file", dest="secure_serving.tls_private_key_file",
                       default=self.tls_private_key_file, metavar="path",
                       help="private key of --tls-cert-file (PEM)")
        g.add_argument("--tls-min-version", dest="secure_serving.tls_min_version", default=self.tls_min_version,
                       metavar="version", help="minimum TLS version: VersionTLS12 (default) or VersionTLS13")
        g.add_argument("--write-kubeconfig", dest="secure_serving.write_kubeconfig",
                       default=self.write_kubeconfig, metavar="path",
                       help="where to write the admin kubeconfig (default <data-dir>/admin.kubeconfig)")

    def complete(self, data_dir: str):
        if not self.cert_dir:
            self.cert_dir = os.path.join(data_dir, "pki")
        if not self.write_kubeconfig:
            self.write_kubeconfig = os.path.join(data_dir, "admin.kubeconfig")

    def validate(self) -> List[str]:
        errors = []
        if not 0 <= self.secure_port <= 65535:
            errors.append(f"--secure-port {self.secure_port} must be between 0 and 65535, inclusive "
                          "(0 picks a free port)")
        if bool(self.tls_cert_file) != bool(self.tls_private_key_file):
            errors.append("--tls-cert-file and --tls-private-key-file must be given together")
        for flag, path in (("--tls-cert-file", self.tls_cert_file),
                           ("--tls-private-key-file", self.tls_private_key_file)):
            if path and not os.access(path, os.R_OK):
                errors.append(f"{flag} {path!r}: cannot read the file")
        if self.tls_min_version and self.tls_min_version not in TLS_VERSIONS:
            errors.append(f'--tls-min-version "{self.tls_min_version}" is not supported; valid values: '
                          f'{", ".join(TLS_VERSIONS)}')
        return errors

    def apply_to(self, config):
        listener = self._listen()
        try:
            host, port = listener.getsockname()[:2]
            self.pki_files = self._certificates()
            context = self._ssl_context()
        except BaseException:
            listener.close()
            raise
        config.secure_serving = SecureServingInfo(listener=listener, ssl_context=context)
        config.server_url = f"https://{_url_host(self.bind_address)}:{port}"
        config.kubeconfig_path = self.write_kubeconfig
        config.ca_pem = _read(self.pki_files.ca_cert).decode()
        self._write_kubeconfig(config.server_url)

    def _listen(self) -> socket.socket:
        family = socket.AF_INET6 if ":" in self.bind_address else socket.AF_INET
        try:
            return socket.create_server((self.bind_address, self.secure_port), family=family, backlog=1024)
        except OSError as err:
            reason = "address already in use" if err.errno == errno.EADDRINUSE else (err.strerror or str(err))
            raise ValueError(f"failed to create listener: failed to listen on "
                             f"{_url_host(self.bind_address, listen=True)}:{self.secure_port}: {reason} "
                             f"(--bind-address, --secure-port)") from None

    def _certificates(self) -> pki.PKIFiles:
        hosts = ["localhost", *SERVICE_NAMES]
        hostname = socket.gethostname()
        if hostname and hostname not in hosts:
            hosts.append(hostname)
        ips = ["127.0.0.1", "::1"]
        if not ipaddress.ip_address(self.bind_address).is_unspecified and self.bind_address not in ips:
            ips.append(self.bind_address)
        try:
            files, generated = pki.ensure_pki(self.cert_dir, hosts=hosts, ips=ips)
        except pki.PKIError as err:
            raise ValueError(f"--cert-dir: {err}") from None
        if generated:
            log.info("Generated self-signed cert", cert=str(files.serving_cert), key=str(files.serving_key))
        return files

    def _ssl_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.minimum_version = TLS_VERSIONS.get(self.tls_min_version or "VersionTLS12")
        context.set_alpn_protocols(["http/1.1"])
        if self.tls_cert_file:
            cert, key, flag = self.tls_cert_file, self.tls_private_key_file, "--tls-cert-file/--tls-private-key-file"
        else:
            cert, key, flag = self.pki_files.serving_cert, self.pki_files.serving_key, "--cert-dir"
        try:
            context.load_cert_chain(cert, key)
        except (OSError, ssl.SSLError) as err:
            raise ValueError(f"{flag}: cannot load the certificate and key: {err}") from None
        return context

    def _write_kubeconfig(self, server_url: str):
        files = self.pki_files
        ca_pem = b"" if self.tls_cert_file else _read(files.ca_cert)
        text = pki.kubeconfig_yaml(server_url=server_url, ca_pem=ca_pem, client_cert_pem=_read(files.admin_cert),
                                   client_key_pem=_read(files.admin_key))
        try:
            os.makedirs(os.path.dirname(os.path.abspath(self.write_kubeconfig)), exist_ok=True)
            pki.write_private_file(self.write_kubeconfig, text.encode())
        except OSError as err:
            raise ValueError(f"--write-kubeconfig {self.write_kubeconfig!r}: {err.strerror or err}") from None


def _read(path: str) -> bytes:
    with open(path, "rb") as f:
        return f.read()


def _url_host(address: str, listen: bool = False) -> str:
    """The host part of a URL for a bind address: clients reach 0.0.0.0 and :: on loopback."""
    ip = ipaddress.ip_address(address)
    if ip.is_unspecified and not listen:
        return "127.0.0.1" if ip.version == 4 else "[::1]"
    return f"[{address}]" if ip.version == 6 else address
