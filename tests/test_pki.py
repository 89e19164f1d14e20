"""Tests for apiserver.pki against real tools: openssl, Python's ssl and kubectl."""

from __future__ import annotations

import base64
import datetime as dt
import http.server
import ipaddress
import os
import random
import shutil
import socket
import ssl
import stat
import subprocess
import threading
import time

import pytest

from apiserver import pki

OPENSSL = shutil.which("openssl")
needs_openssl = pytest.mark.skipif(OPENSSL is None, reason="the openssl binary is not on PATH")
HOSTS = ["localhost"]
IPS = ["127.0.0.1", "::1"]
UTC = dt.timezone(dt.timedelta(0))


def run_openssl(*args: str) -> str:
    proc = subprocess.run([OPENSSL or "openssl", *args], capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, f"openssl {' '.join(args)} failed:\n{proc.stderr}"
    return proc.stdout + proc.stderr


@pytest.fixture
def files(tmp_path):
    started = time.perf_counter()
    result, generated = pki.ensure_pki(tmp_path / "pki", hosts=HOSTS, ips=IPS)
    print(f"ensure_pki from nothing: {(time.perf_counter() - started) * 1000:.1f} ms")
    assert generated
    return result


def snapshot(files: pki.PKIFiles) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted(files.cert_dir.iterdir())}


def leaf_of(path) -> pki.CertInfo:
    return pki.parse_certificate(pki.pem_to_ders(path.read_bytes())[0])


# --- curve, keys and signatures -------------------------------------------


def test_sign_verify_round_trip():
    key = pki.PrivateKey.generate()
    signature = key.sign(b"payload")
    assert pki.verify_signature(key.public_key, b"payload", signature)
    assert not pki.verify_signature(key.public_key, b"payloae", signature)
    assert not pki.verify_signature(pki.PrivateKey.generate().public_key, b"payload", signature)
    tampered = bytearray(signature)
    tampered[-1] ^= 1
    assert not pki.verify_signature(key.public_key, b"payload", bytes(tampered))
    assert not pki.verify_signature(key.public_key, b"payload", b"garbage")
    assert not pki.verify_signature((1, 2), b"payload", signature)  # not on the curve


def test_private_key_pem_round_trip_and_repr():
    key = pki.PrivateKey.generate()
    pem = key.to_pem()
    assert pem.startswith(b"-----BEGIN EC PRIVATE KEY-----\n")
    assert pki.PrivateKey.from_pem(pem).public_key == key.public_key
    assert str(key._d) not in repr(key)
    with pytest.raises(ValueError):
        pki.PrivateKey.from_pem(b"-----BEGIN EC PRIVATE KEY-----\nnot base64!\n-----END EC PRIVATE KEY-----\n")
    with pytest.raises(ValueError):
        pki.PrivateKey.from_pem(b"no pem here")


def test_point_encodings():
    point = pki.PrivateKey.generate().public_key
    assert pki.Point.from_bytes(point.to_bytes()) == point
    compressed = bytes([2 + (point.y & 1)]) + point.x.to_bytes(32, "big")
    assert pki.Point.from_bytes(compressed) == point
    with pytest.raises(ValueError):
        pki.Point.from_bytes(b"\x04" + b"\x00" * 64)


@needs_openssl
def test_signatures_interoperate_with_openssl(tmp_path):
    key = pki.PrivateKey.generate()
    (tmp_path / "k.pem").write_bytes(key.to_pem())
    (tmp_path / "data").write_bytes(b"some data")
    (tmp_path / "sig").write_bytes(key.sign(b"some data"))
    key_path, pub, data = str(tmp_path / "k.pem"), str(tmp_path / "pub.pem"), str(tmp_path / "data")
    run_openssl("ec", "-in", key_path, "-pubout", "-out", pub)
    assert "Verified OK" in run_openssl("dgst", "-sha256", "-verify", pub, "-signature", str(tmp_path / "sig"), data)
    run_openssl("dgst", "-sha256", "-sign", key_path, "-out", str(tmp_path / "osig"), data)
    assert pki.verify_signature(key.public_key, b"some data", (tmp_path / "osig").read_bytes())


@needs_openssl
def test_loads_openssl_keys_and_parses_openssl_certificate(tmp_path):
    # PKCS#8 key and certificate from `openssl req`.
    run_openssl(
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-subj", "/CN=x/O=g1/O=g2", "-days", "2",
        "-keyout", str(tmp_path / "req.key"), "-out", str(tmp_path / "req.crt"),
    )  # fmt: skip
    info = pki.parse_certificate(pki.pem_to_ders((tmp_path / "req.crt").read_bytes())[0])
    assert info.subject_cn == "x"
    assert info.organizations == ["g1", "g2"]
    assert info.issuer_cn == "x"
    assert info.not_after - info.not_before == dt.timedelta(days=2)
    assert info.verify_signed_by(info.public_key)
    assert (tmp_path / "req.key").read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    assert pki.PrivateKey.from_pem((tmp_path / "req.key").read_bytes()).public_key == info.public_key

    # SEC1 from ecparam (with and without the EC PARAMETERS block) and PKCS#8 from genpkey.
    sec1 = tmp_path / "sec1.key"
    run_openssl("ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", str(sec1))
    run_openssl("ecparam", "-name", "prime256v1", "-genkey", "-out", str(tmp_path / "params.key"))
    pkcs8 = tmp_path / "pkcs8.key"
    run_openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", str(pkcs8))
    assert pkcs8.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----")
    pki.PrivateKey.from_pem((tmp_path / "params.key").read_bytes())
    for key_path in (sec1, pkcs8):
        cert_path = tmp_path / (key_path.name + ".crt")
        run_openssl("req", "-x509", "-key", str(key_path), "-subj", "/CN=k", "-days", "1", "-out", str(cert_path))
        cert = pki.parse_certificate(pki.pem_to_ders(cert_path.read_bytes())[0])
        assert pki.PrivateKey.from_pem(key_path.read_bytes()).public_key == cert.public_key


@needs_openssl
def test_rsa_certificate_parses_without_public_key(tmp_path):
    run_openssl(
        "req", "-x509", "-newkey", "rsa:1024", "-nodes", "-subj", "/CN=rsa", "-days", "1",
        "-keyout", str(tmp_path / "rsa.key"), "-out", str(tmp_path / "rsa.crt"),
    )  # fmt: skip
    info = pki.parse_certificate(pki.pem_to_ders((tmp_path / "rsa.crt").read_bytes())[0])
    assert info.subject_cn == "rsa"
    assert info.public_key is None
    assert not info.verify_signed_by(pki.PrivateKey.generate().public_key)
    assert not info.verify_signed_by(None)
    with pytest.raises(ValueError):
        pki.PrivateKey.from_pem((tmp_path / "rsa.key").read_bytes())


# --- DER and certificates ---------------------------------------------------


@pytest.mark.parametrize("value", [0, 1, 127, 128, 255, 256, -1, -128, -129, 2**255, -(2**64)])
def test_der_integer_round_trip(value):
    encoded = pki.der_integer(value)
    assert pki.der_parse_integer(pki.der_decode(encoded, pki.TAG_INTEGER)) == value


def test_der_known_encodings():
    assert pki.der_integer(128) == b"\x02\x02\x00\x80"
    assert pki.der_integer(-128) == b"\x02\x01\x80"
    assert pki.der_oid("1.2.840.10045.2.1") == bytes.fromhex("06072a8648ce3d0201")
    assert pki.der_parse_oid(pki.der_decode(pki.der_oid("2.999.3"))) == "2.999.3"
    assert pki.der_null() == b"\x05\x00"
    assert pki.der_octet_string(b"x" * 200)[:3] == b"\x04\x81\xc8"
    assert pki.der_set(b"\x02\x01\x02", b"\x02\x01\x01") == b"\x31\x06\x02\x01\x01\x02\x01\x02"
    assert pki.der_explicit(0, pki.der_integer(2)) == b"\xa0\x03\x02\x01\x02"
    assert pki.der_implicit(2, b"a") == b"\x82\x01a"
    with pytest.raises(ValueError):
        pki.der_decode(b"\x30\x05\x02\x01")
    with pytest.raises(ValueError):
        pki.der_decode(b"\x05\x00\x00")


def test_der_time_switches_to_generalized_time_in_2050():
    late = dt.datetime(2049, 12, 31, 23, 59, 59, tzinfo=UTC)
    assert pki.der_time(late) == b"\x17\x0d491231235959Z"
    later = dt.datetime(2050, 1, 1, tzinfo=UTC)
    assert pki.der_time(later) == b"\x18\x0f20500101000000Z"
    for when in (late, later):
        tag, content, _ = pki.der_read(pki.der_time(when))
        assert pki.der_parse_time(tag, content) == when
    with pytest.raises(ValueError):
        pki.der_time(dt.datetime(2030, 1, 1))  # naive


@needs_openssl
def test_make_certificate_after_2050_and_ipv6(tmp_path):
    key = pki.PrivateKey.generate()
    der = pki.make_certificate(
        subject_cn="far future",
        organizations=("a", "b"),
        public_key=key.public_key,
        issuer_key=key,
        usage="ca",
        dns_names=("example.test",),
        ip_addresses=("2001:db8::1", ipaddress.ip_address("10.0.0.1")),
        not_before=dt.datetime(2024, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2060, 6, 1, tzinfo=UTC),
        serial=12345,
    )
    info = pki.parse_certificate(der)
    assert info.is_ca and info.serial == 12345
    assert info.organizations == ["a", "b"] and info.subject_cn == "far future"
    assert info.not_after == dt.datetime(2060, 6, 1, tzinfo=UTC)
    assert info.ip_addresses == ["2001:db8::1", "10.0.0.1"]
    assert info.verify_signed_by(key.public_key)
    assert info.subject_key_id == info.authority_key_id
    (tmp_path / "c.pem").write_bytes(pki.cert_to_pem(der))
    text = run_openssl("x509", "-in", str(tmp_path / "c.pem"), "-noout", "-text", "-enddate")
    assert "notAfter=Jun  1 00:00:00 2060 GMT" in text
    assert "O = a, O = b, CN = far future" in text
    assert "IP Address:2001:DB8:0:0:0:0:0:1" in text
    run_openssl("verify", "-CAfile", str(tmp_path / "c.pem"), str(tmp_path / "c.pem"))


def test_make_certificate_rejects_mismatched_keys():
    key, other = pki.PrivateKey.generate(), pki.PrivateKey.generate()
    times = {"not_before": dt.datetime(2024, 1, 1, tzinfo=UTC), "not_after": dt.datetime(2025, 1, 1, tzinfo=UTC)}
    with pytest.raises(ValueError):
        pki.make_certificate(subject_cn="x", public_key=key.public_key, issuer_key=other, **times)
    ca = pki.make_certificate(subject_cn="ca", public_key=key.public_key, issuer_key=key, usage="ca", **times)
    with pytest.raises(ValueError):
        pki.make_certificate(subject_cn="y", public_key=other.public_key, issuer_cert_der=ca, issuer_key=other, **times)
    with pytest.raises(ValueError):
        pki.make_certificate(subject_cn="z", public_key=key.public_key, issuer_key=key, usage="peer", **times)


def test_parse_certificate_rejects_garbage():
    for junk in (b"", b"\x30\x00", b"\x30\x03\x02\x01\x01", os.urandom(64)):
        with pytest.raises(ValueError):
            pki.parse_certificate(junk)


def test_mutated_inputs_raise_only_value_error():
    """Corrupt files must surface as ValueError (so ensure_pki can regenerate), never anything else."""
    key = pki.PrivateKey.generate()
    cert = pki.make_certificate(
        subject_cn="fuzz",
        public_key=key.public_key,
        issuer_key=key,
        dns_names=("a.test",),
        ip_addresses=("::1",),
        not_before=dt.datetime(2024, 1, 1, tzinfo=UTC),
        not_after=dt.datetime(2025, 1, 1, tzinfo=UTC),
    )
    key_der = key.to_der()
    rng = random.Random(1234)
    for blob, parse, rounds in ((cert, pki.parse_certificate, 400), (key_der, pki.PrivateKey.from_der, 60)):
        for _ in range(rounds):
            mutated = bytearray(blob)
            for _ in range(rng.randint(1, 3)):
                mutated[rng.randrange(len(mutated))] = rng.randrange(256)
            cut = rng.choice((len(mutated), rng.randrange(len(mutated))))
            try:
                parse(bytes(mutated[:cut]))
            except ValueError:
                pass


# --- the server's files -----------------------------------------------------


@needs_openssl
def test_openssl_accepts_generated_files(files, tmp_path):
    ca, serving, admin = str(files.ca_cert), str(files.serving_cert), str(files.admin_cert)
    leaf_path = tmp_path / "leaf.crt"
    chain = pki.pem_to_ders(files.serving_cert.read_bytes())
    assert len(chain) == 2 and chain[1] == pki.pem_to_ders(files.ca_cert.read_bytes())[0]
    leaf_path.write_bytes(pki.cert_to_pem(chain[0]))
    run_openssl("verify", "-CAfile", ca, "-purpose", "sslserver", str(leaf_path))
    run_openssl("verify", "-CAfile", ca, "-untrusted", serving, "-purpose", "sslserver", serving)
    run_openssl("verify", "-CAfile", ca, "-purpose", "sslclient", admin)

    ca_text = run_openssl("x509", "-in", ca, "-noout", "-text")
    assert "CA:TRUE" in ca_text and "Certificate Sign, CRL Sign" in ca_text
    serving_text = run_openssl("x509", "-in", serving, "-noout", "-text")
    assert "DNS:localhost" in serving_text
    assert "IP Address:127.0.0.1" in serving_text
    assert "IP Address:0:0:0:0:0:0:0:1" in serving_text or "IP Address:::1" in serving_text
    assert "TLS Web Server Authentication" in serving_text
    assert "CA:FALSE" in serving_text and "ecdsa-with-SHA256" in serving_text
    admin_text = run_openssl("x509", "-in", admin, "-noout", "-text")
    assert "TLS Web Client Authentication" in admin_text
    assert "Subject: O = system:masters, CN = kubernetes-admin" in admin_text

    for key in (files.ca_key, files.serving_key, files.admin_key):
        assert "EC Key valid" in run_openssl("ec", "-check", "-noout", "-in", str(key))
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert stat.S_IMODE(files.cert_dir.stat().st_mode) == 0o700
    assert leaf_of(files.ca_cert).subject_cn.startswith("apiserver-ca@")
    assert leaf_of(files.serving_cert).subject_cn.startswith("apiserver@")


def _tls_server(files: pki.PKIFiles, connections: int):
    """Accepts `connections` TLS clients on loopback; records each peer cert or error."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.serving_cert, files.serving_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(files.ca_cert)
    listener = socket.create_server(("127.0.0.1", 0))
    listener.settimeout(20)
    results: list = []

    def serve():
        with listener:
            for _ in range(connections):
                try:
                    conn, _ = listener.accept()
                    conn.settimeout(20)
                    with context.wrap_socket(conn, server_side=True) as tls:
                        results.append(tls.getpeercert())
                        tls.sendall(b"hello")
                except (OSError, ssl.SSLError) as exc:
                    results.append(exc)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return listener.getsockname()[1], thread, results


def _client_context(files: pki.PKIFiles, with_cert: bool = True) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    context.check_hostname = True
    context.load_verify_locations(files.ca_cert)
    if with_cert:
        context.load_cert_chain(files.admin_cert, files.admin_key)
    return context


def test_tls_handshake_with_client_certificate(files):
    port, thread, results = _tls_server(files, connections=3)
    client = _client_context(files)
    for name in ("localhost", "127.0.0.1"):
        with (
            socket.create_connection(("127.0.0.1", port), timeout=20) as raw,
            client.wrap_socket(raw, server_hostname=name) as tls,
        ):
            assert tls.recv(5) == b"hello"
            assert dict(rdn[0] for rdn in tls.getpeercert()["subject"])["commonName"].startswith("apiserver@")
    # A name outside the SANs must fail hostname verification on the client.
    with socket.create_connection(("127.0.0.1", port), timeout=20) as raw, pytest.raises(ssl.SSLCertVerificationError):
        client.wrap_socket(raw, server_hostname="not-in-sans.example")
    thread.join(20)
    peers = results[:2]
    for peer in peers:
        assert peer["subject"] == ((("organizationName", "system:masters"),), (("commonName", "kubernetes-admin"),))
    assert isinstance(results[2], Exception)


def test_tls_rejects_client_without_certificate(files):
    port, thread, results = _tls_server(files, connections=1)
    client = _client_context(files, with_cert=False)
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    rejected = pytest.raises((ssl.SSLError, ConnectionError))
    with raw, rejected, client.wrap_socket(raw, server_hostname="localhost") as tls:
        tls.recv(5)  # TLS 1.3 reports the server's rejection only on read
    thread.join(20)
    assert isinstance(results[0], ssl.SSLError)


def test_reuse_keeps_identical_files(files):
    before = snapshot(files)
    again, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS)
    assert again == files and not generated
    assert snapshot(files) == before
    # A subset of the SANs, a different order or an IP given as a host are all satisfied already.
    _, generated = pki.ensure_pki(files.cert_dir, hosts=["LOCALHOST", "127.0.0.1"], ips=["::1"])
    assert not generated


def test_new_host_regenerates_serving_cert_only(files):
    before = snapshot(files)
    _, generated = pki.ensure_pki(files.cert_dir, hosts=[*HOSTS, "api.example.test"], ips=[*IPS, "10.1.2.3"])
    assert generated
    after = snapshot(files)
    changed = {name for name in before if before[name] != after[name]}
    assert changed == {"apiserver.crt", "apiserver.key"}
    info = leaf_of(files.serving_cert)
    assert info.dns_names == ["localhost", "api.example.test"]
    assert info.ip_addresses == ["127.0.0.1", "::1", "10.1.2.3"]


def test_garbage_ca_regenerates_everything(files):
    before = snapshot(files)
    files.ca_cert.write_bytes(b"this is not a certificate\n")
    _, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS)
    assert generated
    after = snapshot(files)
    assert all(before[name] != after[name] for name in before)
    ca = leaf_of(files.ca_cert)
    for leaf in (files.serving_cert, files.admin_cert):
        assert leaf_of(leaf).verify_signed_by(ca.public_key)


def test_mismatched_or_garbage_key_is_regenerated(files):
    before = snapshot(files)
    files.admin_key.write_bytes(pki.PrivateKey.generate().to_pem())
    files.serving_key.write_bytes(os.urandom(100))
    _, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS)
    assert generated
    after = snapshot(files)
    assert {name for name in before if before[name] != after[name]} == {
        "admin.crt", "admin.key", "apiserver.crt", "apiserver.key",
    }  # fmt: skip


def test_expiring_leaves_are_regenerated(files):
    before = snapshot(files)
    soon = dt.datetime.now(UTC) + dt.timedelta(days=340)  # leaves have < 30 days left
    _, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS, now=soon)
    assert generated
    after = snapshot(files)
    assert after["ca.crt"] == before["ca.crt"] and after["ca.key"] == before["ca.key"]
    assert after["apiserver.crt"] != before["apiserver.crt"] and after["admin.crt"] != before["admin.crt"]
    assert leaf_of(files.admin_cert).not_after > soon + dt.timedelta(days=360)
    # Past the CA's lifetime everything is replaced.
    _, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS, now=soon + dt.timedelta(days=3700))
    assert generated and files.ca_cert.read_bytes() != before["ca.crt"]


def test_leaf_signed_by_another_ca_is_regenerated(files, tmp_path):
    other, _ = pki.ensure_pki(tmp_path / "other", hosts=HOSTS, ips=IPS)
    shutil.copy(other.admin_cert, files.admin_cert)
    shutil.copy(other.admin_key, files.admin_key)
    _, generated = pki.ensure_pki(files.cert_dir, hosts=HOSTS, ips=IPS)
    assert generated
    assert leaf_of(files.admin_cert).verify_signed_by(leaf_of(files.ca_cert).public_key)


def test_unwritable_directory_raises_pki_error(tmp_path):
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("x")
    with pytest.raises(pki.PKIError, match="not-a-dir"):
        pki.ensure_pki(blocker / "pki", hosts=HOSTS, ips=IPS)
    with pytest.raises(pki.PKIError, match="not-a-dir"):
        pki.ensure_pki(blocker, hosts=HOSTS, ips=IPS)


@pytest.mark.skipif(hasattr(os, "geteuid") and os.geteuid() == 0, reason="root ignores directory permissions")
def test_read_only_directory_raises_pki_error(tmp_path):
    cert_dir = tmp_path / "ro"
    cert_dir.mkdir(mode=0o500)
    try:
        with pytest.raises(pki.PKIError, match="ro"):
            pki.ensure_pki(cert_dir, hosts=HOSTS, ips=IPS)
    finally:
        cert_dir.chmod(0o700)


def test_write_private_file_is_atomic_and_private(tmp_path):
    target = tmp_path / "secret"
    target.write_bytes(b"old")
    target.chmod(0o644)
    pki.write_private_file(target, b"new")
    assert target.read_bytes() == b"new"
    assert stat.S_IMODE(target.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["secret"]  # no temp file left behind


def test_ensure_pki_timing(tmp_path):
    started = time.perf_counter()
    pki.ensure_pki(tmp_path / "a", hosts=HOSTS, ips=IPS)
    fresh = time.perf_counter() - started
    started = time.perf_counter()
    pki.ensure_pki(tmp_path / "a", hosts=HOSTS, ips=IPS)
    reuse = time.perf_counter() - started
    key = pki.PrivateKey.generate()
    started = time.perf_counter()
    signature = key.sign(b"x")
    signing = time.perf_counter() - started
    started = time.perf_counter()
    pki.verify_signature(key.public_key, b"x", signature)
    verifying = time.perf_counter() - started
    print(
        f"\nensure_pki fresh {fresh * 1000:.1f} ms, reuse {reuse * 1000:.1f} ms, "
        f"sign {signing * 1000:.2f} ms, verify {verifying * 1000:.2f} ms"
    )


# --- kubeconfig -------------------------------------------------------------


@pytest.mark.skipif(shutil.which("kubectl") is None, reason="kubectl is not on PATH")
def test_kubeconfig_works_with_kubectl(files, tmp_path):
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(files.serving_cert, files.serving_key)
    context.verify_mode = ssl.CERT_REQUIRED
    context.load_verify_locations(files.ca_cert)

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            subject = dict(rdn[0] for rdn in self.connection.getpeercert()["subject"])
            body = f"hello {subject['commonName']}".encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        client_cert = files.admin_cert.read_bytes()
        config = pki.kubeconfig_yaml(
            server_url=f"https://127.0.0.1:{server.server_address[1]}",
            ca_pem=files.ca_cert.read_bytes(),
            client_cert_pem=client_cert,
            client_key_pem=files.admin_key.read_bytes(),
        )
        path = tmp_path / "admin.kubeconfig"
        pki.write_private_file(path, config.encode())
        assert stat.S_IMODE(path.stat().st_mode) == 0o600

        def kubectl(*args: str) -> str:
            proc = subprocess.run(
                ["kubectl", "--kubeconfig", str(path), *args], capture_output=True, text=True, timeout=60, check=False
            )
            assert proc.returncode == 0, proc.stderr
            return proc.stdout

        data = kubectl("config", "view", "--raw", "-o", "jsonpath={.users[0].user.client-certificate-data}")
        assert base64.b64decode(data) == client_cert
        assert kubectl("config", "current-context").strip() == "kubernetes-admin@apiserver"
        assert kubectl("get", "--raw", "/healthz", "--request-timeout=20s") == "hello kubernetes-admin"
    finally:
        server.shutdown()
        server.server_close()
