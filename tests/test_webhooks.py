"""MutatingAdmissionWebhook and ValidatingAdmissionWebhook end to end: a real HTTPS webhook server in the test
process (its certificate from the project's PKI code, the CA passed as caBundle), configurations registered
through the API, and requests whose outcome and AdmissionReview payloads are checked against upstream's."""

from __future__ import annotations

import base64
import datetime
import itertools
import json
import shutil
import socket
import ssl
import subprocess
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Dict, List, Optional

import pytest
from support import ServerThread

from apiserver import pki
from apiserver.admission.webhook.config import rule_matches

ADMISSION = "/apis/admissionregistration.k8s.io/v1"
KUBECTL = shutil.which("kubectl")


# -- the webhook server


class WebhookServer:
    """HTTPS on a loopback port; ``handlers[path](request) -> response fields`` (None: allowed), every review
    received is kept in ``received[path]``."""

    def __init__(self, cert_file: str, key_file: str):
        self.handlers: Dict[str, Callable[[dict], Optional[dict]]] = {}
        self.received: Dict[str, List[dict]] = {}
        self.queries: List[str] = []
        self.peers: Dict[str, List[int]] = {}   # path -> client port of every request (keep-alive reuse)
        self.drop_after: set = set()            # paths whose connection is closed after answering, unannounced
        self.lock = threading.Lock()
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                path, _, query = self.path.partition("?")
                review = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                with outer.lock:
                    outer.received.setdefault(path, []).append(review)
                    outer.queries.append(query)
                    outer.peers.setdefault(path, []).append(self.client_address[1])
                handler = outer.handlers.get(path, lambda request: None)
                answer = handler(review["request"])
                if isinstance(answer, bytes):   # a raw body: a broken webhook
                    body = answer
                else:
                    response = {"uid": review["request"]["uid"], "allowed": True}
                    response.update(answer or {})
                    body = json.dumps({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
                                       "response": response}).encode()
                try:
                    self.send_response(200)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(body)))
                    self.end_headers()
                    self.wfile.write(body)
                    if path in outer.drop_after:
                        self.close_connection = True
                except OSError:
                    pass   # the API server gave up waiting (timeout tests)

        class Server(ThreadingHTTPServer):
            daemon_threads = True

            def handle_error(self, request, client_address):
                pass

        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(cert_file, key_file)
        self.httpd = Server(("127.0.0.1", 0), Handler)
        self.httpd.socket = context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def url(self, path: str) -> str:
        return f"https://127.0.0.1:{self.port}{path}"

    def requests(self, path: str) -> List[dict]:
        with self.lock:
            return [review["request"] for review in self.received.get(path, [])]

    def stop(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def make_ca_and_serving_cert(directory) -> tuple:
    """A CA and a serving certificate for 127.0.0.1 signed by it, with apiserver/pki.py."""
    now = datetime.datetime.now(datetime.timezone.utc)
    ca_key = pki.PrivateKey.generate()
    ca_der = pki.make_certificate(subject_cn="webhook-test-ca", public_key=ca_key.public_key, issuer_key=ca_key,
                                  usage="ca", not_before=now - datetime.timedelta(hours=1),
                                  not_after=now + datetime.timedelta(days=1))
    key = pki.PrivateKey.generate()
    der = pki.make_certificate(subject_cn="webhook", public_key=key.public_key, issuer_cert_der=ca_der,
                               issuer_key=ca_key, dns_names=["localhost"], ip_addresses=["127.0.0.1"],
                               usage="server", not_before=now - datetime.timedelta(hours=1),
                               not_after=now + datetime.timedelta(days=1))
    cert_file, key_file = directory / "webhook.crt", directory / "webhook.key"
    cert_file.write_bytes(pki.cert_to_pem(der))
    key_file.write_bytes(key.to_pem())
    return pki.cert_to_pem(ca_der), str(cert_file), str(key_file)


def other_ca_bundle() -> str:
    """The caBundle of a CA that signed nothing the webhook server serves."""
    now = datetime.datetime.now(datetime.timezone.utc)
    key = pki.PrivateKey.generate()
    der = pki.make_certificate(subject_cn="other-ca", public_key=key.public_key, issuer_key=key, usage="ca",
                               not_before=now - datetime.timedelta(hours=1), not_after=now + datetime.timedelta(days=1))
    return base64.b64encode(pki.cert_to_pem(der)).decode()


# -- fixtures


@pytest.fixture(scope="module")
def certs(tmp_path_factory):
    return make_ca_and_serving_cert(tmp_path_factory.mktemp("webhook-pki"))


@pytest.fixture(scope="module")
def hook_server(certs):
    _, cert_file, key_file = certs
    server = WebhookServer(cert_file, key_file)
    yield server
    server.stop()


@pytest.fixture(scope="module")
def ca_bundle(certs) -> str:
    return base64.b64encode(certs[0]).decode()


@pytest.fixture(scope="module")
def srv(tmp_path_factory):
    holder = []
    server = ServerThread(tmp_path_factory.mktemp("webhooks") / "data", "--controllers=none",
                          "--disable-admission-plugins=ServiceAccount", customize=holder.append).start()
    server.apiserver = holder[0]
    yield server
    server.stop()


_counter = itertools.count()


@pytest.fixture
def ns(srv):
    name = f"wh-{next(_counter)}"
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": name}})
    assert code == 201, body
    return name


class Configs:
    """Creates webhook configurations through the API, waits until admission sees them, deletes them after."""

    def __init__(self, srv: ServerThread, hook_server: WebhookServer, ca_bundle: str):
        self.srv, self.hook_server, self.ca_bundle = srv, hook_server, ca_bundle
        self.created: List[str] = []

    def webhook(self, name: str, path: str = "", namespace: str = "", resources=("configmaps",),
                operations=("CREATE", "UPDATE", "DELETE"), url: str = "", **fields) -> dict:
        """One webhook; with ``namespace``, limited to that namespace (tests run side by side on one server)."""
        spec = {"name": name, "clientConfig": {"url": url or self.hook_server.url(path), "caBundle": self.ca_bundle},
                "rules": [{"operations": list(operations), "apiGroups": [""], "apiVersions": ["v1"],
                           "resources": list(resources)}],
                "sideEffects": "None", "admissionReviewVersions": ["v1"]}
        if namespace:
            spec["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": namespace}}
        spec.update(fields)
        return spec

    def create(self, kind: str, name: str, *webhooks: dict) -> dict:
        plural = kind.lower() + "s"
        body = {"apiVersion": "admissionregistration.k8s.io/v1", "kind": kind, "metadata": {"name": name},
                "webhooks": list(webhooks)}
        code, _, data = self.srv.request("POST", f"{ADMISSION}/{plural}", body)
        assert code == 201, data
        self.created.append(f"{ADMISSION}/{plural}/{name}")
        self.wait(kind, name, present=True)
        return json.loads(data)

    def validating(self, name: str, *webhooks: dict) -> dict:
        return self.create("ValidatingWebhookConfiguration", name, *webhooks)

    def mutating(self, name: str, *webhooks: dict) -> dict:
        return self.create("MutatingWebhookConfiguration", name, *webhooks)

    def wait(self, kind: str, name: str, present: bool):
        """Until the plugin's informer has (or no longer has) the configuration."""
        plugin_name = "MutatingAdmissionWebhook" if kind.startswith("Mutating") else "ValidatingAdmissionWebhook"
        plugin = next(p for p in self.srv.apiserver.api.admission.plugins if p.name == plugin_name)
        deadline = time.monotonic() + 5
        while any(h.configuration == name for h in plugin.source.webhooks()) != present:
            assert time.monotonic() < deadline, f"{kind} {name} not seen by admission"
            time.sleep(0.01)

    def cleanup(self):
        for path in self.created:
            self.srv.request("DELETE", path)
        for path in self.created:
            kind = "MutatingWebhookConfiguration" if "mutating" in path else "ValidatingWebhookConfiguration"
            self.wait(kind, path.rsplit("/", 1)[1], present=False)
        self.created.clear()


@pytest.fixture
def configs(srv, hook_server, ca_bundle):
    made = Configs(srv, hook_server, ca_bundle)
    yield made
    made.cleanup()


def configmap_body(name: str, data: Optional[dict] = None, labels: Optional[dict] = None) -> dict:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "labels": labels or {}},
            "data": data or {}}


def create_configmap(srv, ns: str, name: str, query: str = "", **kw):
    code, headers, body = srv.request("POST", f"/api/v1/namespaces/{ns}/configmaps{query}",
                                      configmap_body(name, **kw))
    return code, headers, json.loads(body)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def patch_of(operations: list) -> dict:
    return {"patchType": "JSONPatch", "patch": base64.b64encode(json.dumps(operations).encode()).decode()}


# -- validating


def test_validating_webhook_denies_with_its_message_and_code_and_allows_otherwise(srv, configs, hook_server, ns):
    def decide(request):
        data = request["object"].get("data") or {}
        if "forbidden" in data:
            return {"allowed": False, "status": {"code": 403, "reason": "Forbidden",
                                                 "message": f"key forbidden is not allowed in {request['name']}"}}
        if "silent" in data:
            return {"allowed": False}
        return None

    hook_server.handlers["/validate"] = decide
    configs.validating("deny-forbidden", configs.webhook("deny.example.com", "/validate", ns))

    code, _, status = create_configmap(srv, ns, "bad", data={"forbidden": "x"})
    assert code == 403
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": 'admission webhook "deny.example.com" denied the request: key forbidden is not '
                                 "allowed in bad", "reason": "Forbidden", "code": 403}

    # without a status the code is 400 and the message says so (errors.ToStatusErr)
    code, _, status = create_configmap(srv, ns, "quiet", data={"silent": "x"})
    assert code == 400
    assert status["message"] == 'admission webhook "deny.example.com" denied the request without explanation'

    code, _, created = create_configmap(srv, ns, "good", data={"fine": "x"})
    assert code == 201, created
    assert srv.request("GET", f"/api/v1/namespaces/{ns}/configmaps/bad")[0] == 404
    assert srv.request("GET", f"/api/v1/namespaces/{ns}/configmaps/good")[0] == 200

    # an update is validated too (the object as it would be stored)
    created["data"] = {"forbidden": "now"}
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/good", created)
    assert code == 403, body
    assert json.loads(body)["message"].startswith('admission webhook "deny.example.com" denied the request')


def test_webhook_configurations_are_never_sent_to_webhooks(srv, configs, hook_server, ns):
    hook_server.handlers["/deny-all"] = lambda request: {"allowed": False, "status": {"message": "no"}}
    everything = configs.webhook("all.example.com", "/deny-all", operations=["*"], resources=["*/*"])
    everything["rules"][0].update(apiGroups=["*"], apiVersions=["*"])
    configs.validating("deny-everything", everything)

    # admission configuration can still be changed (and so the cluster repaired) ...
    other = configs.webhook("other.example.com", "/deny-all", ns)
    code, _, body = srv.request("POST", f"{ADMISSION}/validatingwebhookconfigurations", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "exempt-probe"}, "webhooks": [other]})
    assert code == 201, body
    assert srv.request("DELETE", f"{ADMISSION}/validatingwebhookconfigurations/exempt-probe")[0] == 200
    assert not any(r["kind"]["group"] == "admissionregistration.k8s.io" for r in hook_server.requests("/deny-all"))
    # ... while everything else is refused, cluster-scoped objects and namespaces too
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": f"{ns}-denied"}})
    assert code == 400 and b'denied the request: no' in body
    code, _, status = create_configmap(srv, ns, "x")
    assert code == 400


# -- mutating


def test_mutating_webhook_patch_is_applied_and_stored(srv, configs, hook_server, ns):
    def mutate(request):
        ops = [{"op": "add", "path": "/metadata/labels/mutated", "value": "yes"},
               {"op": "add", "path": "/data/added", "value": request["operation"]}]
        return {**patch_of(ops), "warnings": ["mutated by the test webhook"],
                "auditAnnotations": {"seen": "true"}}

    hook_server.handlers["/mutate"] = mutate
    configs.mutating("add-label", configs.webhook("mutate.example.com", "/mutate", ns,
                                                  operations=["CREATE", "UPDATE"]))

    code, headers, created = create_configmap(srv, ns, "cm", data={"a": "1"})
    assert code == 201, created
    assert created["metadata"]["labels"] == {"mutated": "yes"}
    assert created["data"] == {"a": "1", "added": "CREATE"}
    assert headers.get_all("Warning") == ['299 - "mutated by the test webhook"']

    code, stored = srv.get_json(f"/api/v1/namespaces/{ns}/configmaps/cm")
    assert stored["data"] == {"a": "1", "added": "CREATE"} and stored["metadata"]["labels"]["mutated"] == "yes"

    stored["data"]["a"] = "2"
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/cm", stored)
    assert code == 200, body
    assert json.loads(body)["data"] == {"a": "2", "added": "UPDATE"}

    # the webhook saw the object before the patch, with its kind
    seen = hook_server.requests("/mutate")[0]["object"]
    assert seen["kind"] == "ConfigMap" and seen["apiVersion"] == "v1" and seen["data"] == {"a": "1"}


def test_mutating_webhooks_see_the_defaulted_object(srv, configs, hook_server, ns):
    hook_server.handlers["/deployments"] = lambda request: patch_of(
        [{"op": "replace", "path": "/spec/revisionHistoryLimit", "value": 3}])
    rule = {"operations": ["CREATE"], "apiGroups": ["apps"], "apiVersions": ["v1"], "resources": ["deployments"]}
    configs.mutating("deployments", configs.webhook("deployments.example.com", "/deployments", ns, rules=[rule]))
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"selector": {"matchLabels": {"app": "d"}},
                           "template": {"metadata": {"labels": {"app": "d"}},
                                        "spec": {"containers": [{"name": "c", "image": "nginx"}]}}}}
    code, _, body = srv.request("POST", f"/apis/apps/v1/namespaces/{ns}/deployments", deployment)
    assert code == 201, body
    assert json.loads(body)["spec"]["revisionHistoryLimit"] == 3
    seen = hook_server.requests("/deployments")[-1]["object"]
    assert seen["spec"]["replicas"] == 1 and seen["spec"]["strategy"]["type"] == "RollingUpdate"
    assert seen["spec"]["revisionHistoryLimit"] == 10


def test_mutating_webhooks_run_in_configuration_name_order_and_reinvoke_if_needed(srv, configs, hook_server, ns):
    calls = []

    def first(request):   # adds a label once; reinvoked when a later webhook changes the object
        calls.append("first")
        labels = request["object"]["metadata"].get("labels") or {}
        if "first" in labels:
            return None
        return patch_of([{"op": "add", "path": "/metadata/labels", "value": dict(labels, first="1")}])

    def second(request):
        calls.append("second")
        labels = request["object"]["metadata"].get("labels") or {}
        assert labels.get("first") == "1"   # it runs after "first" and sees its change
        return patch_of([{"op": "add", "path": "/metadata/labels/second", "value": "2"}])

    hook_server.handlers["/first"], hook_server.handlers["/second"] = first, second
    # created in reverse order: the call order is by configuration name
    configs.mutating("b-second", configs.webhook("second.example.com", "/second", ns, operations=["CREATE"]))
    configs.mutating("a-first", configs.webhook("first.example.com", "/first", ns, operations=["CREATE"],
                                                reinvocationPolicy="IfNeeded"))
    code, _, created = create_configmap(srv, ns, "cm")
    assert code == 201, created
    assert created["metadata"]["labels"] == {"first": "1", "second": "2"}
    assert calls == ["first", "second", "first"]

    # with reinvocationPolicy Never (the default) there is no second round
    calls.clear()
    configs.cleanup()
    configs.mutating("b-second", configs.webhook("second.example.com", "/second", ns, operations=["CREATE"]))
    configs.mutating("a-first", configs.webhook("first.example.com", "/first", ns, operations=["CREATE"]))
    assert create_configmap(srv, ns, "cm2")[0] == 201
    assert calls == ["first", "second"]


def test_mutating_webhook_patch_errors(srv, configs, hook_server, ns):
    hook_server.handlers["/bad-patch"] = lambda request: patch_of(
        [{"op": "remove", "path": "/data/missing"}])
    configs.mutating("bad-patch", configs.webhook("badpatch.example.com", "/bad-patch", ns, operations=["CREATE"]))
    code, _, status = create_configmap(srv, ns, "cm")
    assert code == 500
    assert status["reason"] == "InternalError"
    assert status["message"] == ("Internal error occurred: error in remove for path: '/data/missing': Unable to "
                                 "remove nonexistent key: missing: missing value")

    # a patch on DELETE cannot be applied to anything
    configs.cleanup()
    assert create_configmap(srv, ns, "cm")[0] == 201
    hook_server.handlers["/delete-patch"] = lambda request: patch_of(
        [{"op": "add", "path": "/metadata/labels", "value": {}}])
    configs.mutating("delete-patch", configs.webhook("deletepatch.example.com", "/delete-patch", ns,
                                                     operations=["DELETE"]))
    code, _, body = srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/cm")
    assert code == 500
    assert json.loads(body)["message"] == ('Internal error occurred: admission webhook "deletepatch.example.com" '
                                           "attempted to modify the object, which is not supported for this "
                                           "operation")


# -- failure policy


def test_failure_policy_when_the_webhook_is_down(srv, configs, ns):
    port = closed_port()
    url = f"https://127.0.0.1:{port}/down"
    configs.validating("down-fail", configs.webhook("fail.example.com", namespace=ns, url=url,
                                                    objectSelector={"matchLabels": {"policy": "fail"}}))
    configs.validating("down-ignore", configs.webhook("ignore.example.com", namespace=ns, url=url,
                                                      failurePolicy="Ignore",
                                                      objectSelector={"matchLabels": {"policy": "ignore"}}))
    code, _, status = create_configmap(srv, ns, "fails", labels={"policy": "fail"})
    assert code == 500
    cause = (f'failed calling webhook "fail.example.com": failed to call webhook: Post '
             f'"https://127.0.0.1:{port}/down?timeout=10s": dial tcp 127.0.0.1:{port}: connect: connection refused')
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": f"Internal error occurred: {cause}", "reason": "InternalError",
                      "details": {"causes": [{"message": cause}]}, "code": 500}
    code, _, created = create_configmap(srv, ns, "ignored", labels={"policy": "ignore"})
    assert code == 201, created


def test_failure_policy_when_the_webhook_times_out(srv, configs, hook_server, ns):
    def slow(request):
        time.sleep(2.5)
        return None

    hook_server.handlers["/slow"] = slow
    configs.validating("slow-fail", configs.webhook("slowfail.example.com", "/slow", ns, timeoutSeconds=1,
                                                    objectSelector={"matchLabels": {"policy": "fail"}}))
    configs.mutating("slow-ignore", configs.webhook("slowignore.example.com", "/slow", ns, timeoutSeconds=1,
                                                    failurePolicy="Ignore",
                                                    objectSelector={"matchLabels": {"policy": "ignore"}}))
    start = time.monotonic()
    code, _, status = create_configmap(srv, ns, "fails", labels={"policy": "fail"})
    assert code == 500
    assert status["message"] == ('Internal error occurred: failed calling webhook "slowfail.example.com": failed to '
                                 f'call webhook: Post "{hook_server.url("/slow")}?timeout=1s": context deadline '
                                 "exceeded")
    assert time.monotonic() - start < 2.4
    start = time.monotonic()
    code, _, created = create_configmap(srv, ns, "ignored", labels={"policy": "ignore"})
    assert code == 201, created
    assert time.monotonic() - start < 2.4
    assert "timeout=1s" in hook_server.queries


def test_invalid_responses_and_unreachable_services_are_call_failures(srv, configs, hook_server, ns):
    hook_server.handlers["/wrong-uid"] = lambda request: {"uid": "not-the-uid"}
    hook_server.handlers["/garbage"] = lambda request: b"this is not json"
    configs.validating("broken", configs.webhook("wronguid.example.com", "/wrong-uid", ns,
                                                 objectSelector={"matchLabels": {"case": "uid"}}),
                       configs.webhook("garbage.example.com", "/garbage", ns,
                                       objectSelector={"matchLabels": {"case": "garbage"}}),
                       {**configs.webhook("service.example.com", namespace=ns,
                                          objectSelector={"matchLabels": {"case": "service"}}),
                        "clientConfig": {"service": {"namespace": "default", "name": "hook", "path": "/v"}}},
                       configs.webhook("v1beta1.example.com", "/x", ns, admissionReviewVersions=["v1beta1"],
                                       objectSelector={"matchLabels": {"case": "version"}}))
    code, _, status = create_configmap(srv, ns, "a", labels={"case": "uid"})
    assert code == 500
    uid = hook_server.requests("/wrong-uid")[-1]["uid"]
    assert status["message"] == ('Internal error occurred: failed calling webhook "wronguid.example.com": received '
                                 f'invalid webhook response: expected response.uid="{uid}", got "not-the-uid"')
    code, _, status = create_configmap(srv, ns, "b", labels={"case": "garbage"})
    assert code == 500 and 'failed calling webhook "garbage.example.com": failed to call webhook: ' in \
        status["message"]
    code, _, status = create_configmap(srv, ns, "c", labels={"case": "service"})
    assert code == 500
    assert status["message"].startswith('Internal error occurred: failed calling webhook "service.example.com": '
                                        'failed to call webhook: Post "https://hook.default.svc:443/v?timeout=10s": '
                                        "service default/hook cannot be reached")
    code, _, status = create_configmap(srv, ns, "d", labels={"case": "version"})
    assert code == 500 and "webhook does not accept known AdmissionReview versions" in status["message"]


def test_server_certificate_is_verified_against_the_ca_bundle(srv, configs, hook_server, ns):
    hook_server.handlers["/tls"] = lambda request: None
    url = hook_server.url("/tls")
    no_bundle = configs.webhook("nobundle.example.com", "/tls", ns, objectSelector={"matchLabels": {"case": "none"}})
    del no_bundle["clientConfig"]["caBundle"]   # the public roots (certifi), which do not know the test CA
    other_ca = other_ca_bundle()
    wrong_bundle = configs.webhook("wrongbundle.example.com", "/tls", ns,
                                   objectSelector={"matchLabels": {"case": "wrong"}})
    wrong_bundle["clientConfig"]["caBundle"] = other_ca
    by_name = configs.webhook("byname.example.com", namespace=ns, url=url.replace("127.0.0.1", "localhost"),
                              objectSelector={"matchLabels": {"case": "name"}})
    configs.validating("tls", no_bundle, wrong_bundle, by_name)
    for case, name in (("none", "nobundle.example.com"), ("wrong", "wrongbundle.example.com")):
        code, _, status = create_configmap(srv, ns, case, labels={"case": case})
        assert code == 500
        assert status["message"] == (f'Internal error occurred: failed calling webhook "{name}": failed to call '
                                     f'webhook: Post "{url}?timeout=10s": tls: failed to verify certificate: x509: '
                                     "certificate signed by unknown authority")
    # the certificate names localhost too
    assert create_configmap(srv, ns, "name", labels={"case": "name"})[0] == 201


def test_configuration_changes_reach_admission(srv, configs, hook_server, ns):
    hook_server.handlers["/one"] = lambda request: {"allowed": False, "status": {"message": "one"}}
    hook_server.handlers["/two"] = lambda request: {"allowed": False, "status": {"message": "two"}}
    created = configs.validating("changing", configs.webhook("changing.example.com", "/one", ns))
    assert create_configmap(srv, ns, "a")[2]["message"].endswith(": one")
    created["webhooks"][0]["clientConfig"]["url"] = hook_server.url("/two")
    code, _, body = srv.request("PUT", f"{ADMISSION}/validatingwebhookconfigurations/changing", created)
    assert code == 200, body
    deadline = time.monotonic() + 5
    while create_configmap(srv, ns, "a")[2]["message"].endswith(": one"):
        assert time.monotonic() < deadline
        time.sleep(0.01)
    assert create_configmap(srv, ns, "a")[2]["message"].endswith(": two")
    assert srv.request("DELETE", f"{ADMISSION}/validatingwebhookconfigurations/changing")[0] == 200
    configs.wait("ValidatingWebhookConfiguration", "changing", present=False)
    assert create_configmap(srv, ns, "a")[0] == 201


def test_connections_to_a_webhook_are_kept_alive(srv, configs, hook_server, ns):
    hook_server.handlers["/alive"] = hook_server.handlers["/dropped"] = lambda request: None
    configs.validating("keepalive", configs.webhook("alive.example.com", "/alive", ns,
                                                    objectSelector={"matchLabels": {"case": "alive"}}),
                       configs.webhook("dropped.example.com", "/dropped", ns,
                                       objectSelector={"matchLabels": {"case": "dropped"}}))
    for i in range(3):
        assert create_configmap(srv, ns, f"alive-{i}", labels={"case": "alive"})[0] == 201
    assert len(hook_server.peers["/alive"]) == 3 and len(set(hook_server.peers["/alive"])) == 1
    # a connection the server closed while idle is replaced, and the call succeeds
    hook_server.drop_after.add("/dropped")
    for i in range(3):
        assert create_configmap(srv, ns, f"dropped-{i}", labels={"case": "dropped"})[0] == 201
    assert len(set(hook_server.peers["/dropped"])) == 3


# -- matching


def test_namespace_selector_and_object_selector(srv, configs, hook_server, ns):
    hook_server.handlers["/deny"] = lambda request: {"allowed": False, "status": {"code": 403, "message": "denied"}}
    other = f"{ns}-other"
    assert srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace", "metadata": {
        "name": other, "labels": {"webhooks": "on"}}})[0] == 201
    configs.validating("by-namespace", configs.webhook(
        "ns.example.com", "/deny", namespaceSelector={"matchLabels": {"webhooks": "on"}}))
    assert create_configmap(srv, other, "cm")[0] == 403
    assert create_configmap(srv, ns, "cm")[0] == 201
    # the namespace's own labels count for a Namespace object
    configs.validating("namespaces", configs.webhook(
        "nsobj.example.com", "/deny", resources=["namespaces"], operations=["CREATE"],
        namespaceSelector={"matchExpressions": [{"key": "env", "operator": "In", "values": ["prod"]}]}))
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": f"{ns}-prod",
                                                                            "labels": {"env": "prod"}}})
    assert code == 403 and json.loads(body)["message"] == ('admission webhook "nsobj.example.com" denied the '
                                                           "request: denied")
    assert srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                      "metadata": {"name": f"{ns}-dev",
                                                                   "labels": {"env": "dev"}}})[0] == 201

    configs.validating("by-object", configs.webhook(
        "obj.example.com", "/deny", ns, objectSelector={"matchLabels": {"guarded": "true"}}))
    assert create_configmap(srv, ns, "guarded", labels={"guarded": "true"})[0] == 403
    code, _, plain = create_configmap(srv, ns, "plain")
    assert code == 201
    # on update the new object's labels count, and the old object's: adding the label is refused ...
    plain["metadata"]["labels"] = {"guarded": "true"}
    assert srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/plain", plain)[0] == 403
    requests = hook_server.requests("/deny")
    update = [r for r in requests if r["operation"] == "UPDATE"][-1]
    assert update["oldObject"]["metadata"].get("labels") in (None, {})
    assert update["object"]["metadata"]["labels"] == {"guarded": "true"}
    # ... and so is removing it from an object that has it (seen only through the old object)
    hook_server.handlers["/allow-create"] = lambda request: None
    configs.cleanup()
    code, _, guarded = create_configmap(srv, ns, "was-guarded", labels={"guarded": "true"})
    assert code == 201
    configs.validating("by-object", configs.webhook(
        "obj.example.com", "/deny", ns, operations=["UPDATE"], objectSelector={"matchLabels": {"guarded": "true"}}))
    guarded["metadata"]["labels"] = {}
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/was-guarded", guarded)
    assert code == 403, body


def test_rules_operations_resources_and_scope(srv, configs, hook_server, ns):
    hook_server.handlers["/deny"] = lambda request: {"allowed": False, "status": {"code": 403, "message": "denied"}}
    configs.validating("secrets-create", configs.webhook("secrets.example.com", "/deny", ns,
                                                         resources=["secrets"], operations=["CREATE"]))
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s"}}
    assert srv.request("POST", f"/api/v1/namespaces/{ns}/secrets", secret)[0] == 403
    assert create_configmap(srv, ns, "not-a-secret")[0] == 201

    def match(rule, operation="CREATE", group="", version="v1", plural="pods", sub="", namespace="ns"):
        return rule_matches(rule, operation, group, version, plural, sub, namespace)

    pods = {"operations": ["*"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}
    assert match(pods) and not match(pods, sub="status") and not match(pods, plural="services")
    assert match(dict(pods, resources=["pods/status"]), sub="status")
    assert not match(dict(pods, resources=["pods/status"]))
    # "pods/*" matches the pods themselves too, as rules.Matcher does ("*" stands for the empty subresource too)
    assert match(dict(pods, resources=["pods/*"]), sub="status") and match(dict(pods, resources=["pods/*"]))
    assert match(dict(pods, resources=["*"])) and not match(dict(pods, resources=["*"]), sub="status")
    assert match(dict(pods, resources=["*/*"]), sub="status") and match(dict(pods, resources=["*/*"]))
    assert match(dict(pods, resources=["*/status"]), sub="status", plural="services")
    assert not match(dict(pods, operations=["UPDATE"]))
    assert match(dict(pods, apiGroups=["*"], apiVersions=["*"]), group="apps", version="v1")
    assert not match(dict(pods, apiVersions=["v2"]))
    assert match(dict(pods, scope="Namespaced")) and not match(dict(pods, scope="Cluster"))
    assert match(dict(pods, scope="Cluster"), namespace="") and not match(dict(pods, scope="Namespaced"),
                                                                          namespace="")
    namespaces = dict(pods, resources=["namespaces"])
    # a namespace is cluster-scoped even though its requests carry its name as namespace
    assert match(dict(namespaces, scope="Cluster"), plural="namespaces", namespace="x")
    assert not match(dict(namespaces, scope="Namespaced"), plural="namespaces", namespace="x")


def test_match_policy_equivalent_sends_the_matched_version(srv, configs, hook_server, ns):
    """events.k8s.io/v1 and core v1 Events are one stored resource: a rule for the first matches the second under
    matchPolicy Equivalent (the default), and the webhook gets and patches the object in the version it asked for."""
    hook_server.handlers["/events"] = lambda request: patch_of([{"op": "replace", "path": "/note",
                                                                 "value": "patched as " + request["kind"]["group"]}])
    rule = {"operations": ["CREATE"], "apiGroups": ["events.k8s.io"], "apiVersions": ["v1"], "resources": ["events"]}
    configs.mutating("events-equivalent", configs.webhook("equivalent.example.com", "/events", ns, rules=[rule]))
    configs.mutating("events-exact", configs.webhook("exact.example.com", "/exact", ns, rules=[rule],
                                                     matchPolicy="Exact"))
    event = {"apiVersion": "v1", "kind": "Event", "metadata": {"name": "e1"}, "reason": "Test", "type": "Normal",
             "message": "hello", "involvedObject": {"kind": "Pod", "name": "p", "namespace": ns}}
    code, _, body = srv.request("POST", f"/api/v1/namespaces/{ns}/events", event)
    assert code == 201, body
    assert json.loads(body)["message"] == "patched as events.k8s.io"
    request = hook_server.requests("/events")[-1]
    assert request["kind"] == {"group": "events.k8s.io", "version": "v1", "kind": "Event"}
    assert request["resource"] == {"group": "events.k8s.io", "version": "v1", "resource": "events"}
    assert request["requestKind"] == {"group": "", "version": "v1", "kind": "Event"}
    assert request["requestResource"] == {"group": "", "version": "v1", "resource": "events"}
    assert request["object"]["apiVersion"] == "events.k8s.io/v1" and request["object"]["note"] == "hello"
    assert hook_server.requests("/exact") == []


def test_match_conditions(srv, configs, hook_server, ns):
    hook_server.handlers["/deny"] = lambda request: {"allowed": False, "status": {"code": 403, "message": "denied"}}
    configs.validating("conditions", configs.webhook(
        "cel.example.com", "/deny", ns, objectSelector={"matchLabels": {"case": "conditions"}},
        matchConditions=[{"name": "not-skipped", "expression": "object.metadata.name != 'skip-me'"},
                         {"name": "by-user", "expression": "request.userInfo.username == 'kubernetes-admin'"}]))
    assert create_configmap(srv, ns, "skip-me", labels={"case": "conditions"})[0] == 201
    assert create_configmap(srv, ns, "checked", labels={"case": "conditions"})[0] == 403

    configs.validating("broken-condition", configs.webhook(
        "celerror.example.com", "/deny", ns, objectSelector={"matchLabels": {"case": "error"}},
        matchConditions=[{"name": "bad", "expression": "object.metadata.nothere == 'x'"}]))
    code, _, status = create_configmap(srv, ns, "failed", labels={"case": "error"})
    assert code == 403
    assert status == {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                      "message": 'configmaps "failed" is forbidden: expression \'object.metadata.nothere == \'x\'\' '
                                 "resulted in error: no such key: nothere", "reason": "Forbidden",
                      "details": {"name": "failed", "kind": "configmaps"}, "code": 403}
    # with failurePolicy Ignore an evaluation error skips the webhook
    configs.validating("ignored-condition", configs.webhook(
        "celignore.example.com", "/deny", ns, objectSelector={"matchLabels": {"case": "ignore"}},
        failurePolicy="Ignore", matchConditions=[{"name": "bad", "expression": "object.metadata.nothere == 'x'"}]))
    assert create_configmap(srv, ns, "ignored", labels={"case": "ignore"})[0] == 201


# -- dry run and side effects


def test_dry_run_reaches_only_webhooks_without_side_effects(srv, configs, hook_server, ns):
    hook_server.handlers["/none"] = lambda request: None
    configs.validating("no-side-effects", configs.webhook("none.example.com", "/none", ns,
                                                          objectSelector={"matchLabels": {"case": "none"}}))
    code, _, body = create_configmap(srv, ns, "dry", query="?dryRun=All", labels={"case": "none"})
    assert code == 201, body
    assert hook_server.requests("/none")[-1]["dryRun"] is True
    assert hook_server.requests("/none")[-1]["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1",
                                                            "dryRun": ["All"]}
    assert srv.request("GET", f"/api/v1/namespaces/{ns}/configmaps/dry")[0] == 404

    # sideEffects Some is no longer accepted in v1, but configurations stored before (v1beta1) can still have it
    hook = configs.webhook("some.example.com", "/none", ns, sideEffects="Some",
                           objectSelector={"matchLabels": {"case": "some"}})
    code, _, body = srv.request("POST", f"{ADMISSION}/validatingwebhookconfigurations", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "side-effects"}, "webhooks": [hook]})
    assert code == 422 and 'Unsupported value: \\"Some\\": supported values: \\"None\\", \\"NoneOnDryRun\\"' \
        in body.decode(), body
    srv.config.store.create("/registry/validatingwebhookconfigurations/side-effects", json.dumps({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "side-effects", "uid": "0b6a4e1c-3c1e-4a57-9d7e-2f1ad6f3a111"},
        "webhooks": [hook]}).encode())
    configs.created.append(f"{ADMISSION}/validatingwebhookconfigurations/side-effects")
    configs.wait("ValidatingWebhookConfiguration", "side-effects", present=True)
    before = len(hook_server.requests("/none"))
    code, _, status = create_configmap(srv, ns, "dry2", query="?dryRun=All", labels={"case": "some"})
    assert code == 400
    assert status["message"] == 'admission webhook "some.example.com" does not support dry run'
    assert len(hook_server.requests("/none")) == before
    assert create_configmap(srv, ns, "wet", labels={"case": "some"})[0] == 201


# -- the configurations themselves


def test_configurations_are_defaulted_and_validated(srv, configs, hook_server):
    created = configs.mutating("defaults", {
        "name": "defaults.example.com", "clientConfig": {"service": {"namespace": "default", "name": "hook"}},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"]}],
        "sideEffects": "None", "admissionReviewVersions": ["v1"]})
    hook = created["webhooks"][0]
    assert hook == {
        "name": "defaults.example.com",
        "clientConfig": {"service": {"namespace": "default", "name": "hook", "port": 443}},
        "rules": [{"operations": ["CREATE"], "apiGroups": [""], "apiVersions": ["v1"], "resources": ["pods"],
                   "scope": "*"}],
        "sideEffects": "None", "admissionReviewVersions": ["v1"], "failurePolicy": "Fail",
        "matchPolicy": "Equivalent", "namespaceSelector": {}, "objectSelector": {}, "timeoutSeconds": 10,
        "reinvocationPolicy": "Never"}

    bad = {"name": "bad", "clientConfig": {"url": "http://127.0.0.1/x"},
           "rules": [{"operations": ["CREATE", "*"], "apiGroups": [""], "apiVersions": ["v1"],
                      "resources": ["*", "pods"]}],
           "timeoutSeconds": 31, "admissionReviewVersions": ["v2"],
           "namespaceSelector": {"matchExpressions": [{"key": "a", "operator": "In"}]},
           "matchConditions": [{"name": "c", "expression": "object.metadata.name =="}]}
    code, _, body = srv.request("POST", f"{ADMISSION}/validatingwebhookconfigurations", {
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "bad"}, "webhooks": [bad, dict(bad, name="x.example.com"),
                                                  dict(bad, name="x.example.com")]})
    assert code == 422, body
    status = json.loads(body)
    causes = {(c["field"], c["message"]) for c in status["details"]["causes"]}
    assert ("webhooks[0].name", 'Invalid value: "bad": should be a domain with at least three segments separated '
                                "by dots") in causes
    assert ("webhooks[0].rules[0].operations", 'Invalid value: []admissionregistration.OperationType{"CREATE", '
                                               '"*"}: if \'*\' is present, must not specify other operations') in causes
    assert ("webhooks[0].rules[0].resources", 'Invalid value: []string{"*", "pods"}: if \'*\' is present, must not '
                                              "specify other resources without subresources") in causes
    assert ("webhooks[0].sideEffects", "Required value: must specify one of None, NoneOnDryRun") in causes
    assert ("webhooks[0].timeoutSeconds", "Invalid value: 31: the timeout value must be between 1 and 30 seconds") \
        in causes
    assert ("webhooks[0].namespaceSelector.matchExpressions[0].values",
            "Required value: must be specified when `operator` is 'In' or 'NotIn'") in causes
    assert ("webhooks[0].clientConfig.url", 'Invalid value: "http": \'https\' is the only allowed URL scheme; '
                                            "desired format: https://host[/path]") in causes
    assert ("webhooks[0].admissionReviewVersions", 'Invalid value: []string{"v2"}: must include at least one of v1, '
                                                   "v1beta1") in causes
    assert any(field == "webhooks[0].matchConditions[0].expression" and message.startswith(
        'Invalid value: "object.metadata.name ==": compilation failed: ') for field, message in causes)
    assert ("webhooks[2].name", 'Duplicate value: "x.example.com"') in causes
    assert status["message"].startswith('ValidatingWebhookConfiguration.admissionregistration.k8s.io "bad" is '
                                        "invalid: [")


# -- the request


def test_admission_review_request_payload(srv, configs, hook_server, ns):
    hook_server.handlers["/record"] = lambda request: None
    configs.validating("record", configs.webhook("record.example.com", "/record", ns))
    code, _, created = create_configmap(srv, ns, "cm", query="?fieldManager=tester", data={"k": "v"})
    assert code == 201
    created["data"]["k"] = "w"
    code, _, body = srv.request("PUT", f"/api/v1/namespaces/{ns}/configmaps/cm", created)
    assert code == 200, body
    assert srv.request("DELETE", f"/api/v1/namespaces/{ns}/configmaps/cm?propagationPolicy=Background")[0] == 200

    create, update, delete = hook_server.requests("/record")[-3:]
    for request in (create, update, delete):
        assert request["kind"] == {"group": "", "version": "v1", "kind": "ConfigMap"}
        assert request["resource"] == {"group": "", "version": "v1", "resource": "configmaps"}
        assert request["requestKind"] == request["kind"] and request["requestResource"] == request["resource"]
        assert request["name"] == "cm" and request["namespace"] == ns
        assert request["userInfo"]["username"] == "kubernetes-admin"
        assert "system:masters" in request["userInfo"]["groups"]
        assert request["dryRun"] is False
        assert len(request["uid"]) == 36
    assert "subResource" not in create
    assert create["operation"] == "CREATE" and create["oldObject"] is None
    assert create["object"]["data"] == {"k": "v"} and create["object"]["metadata"]["uid"]
    assert create["options"] == {"kind": "CreateOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "tester"}
    assert update["operation"] == "UPDATE"
    assert update["oldObject"]["data"] == {"k": "v"} and update["object"]["data"] == {"k": "w"}
    assert update["options"] == {"kind": "UpdateOptions", "apiVersion": "meta.k8s.io/v1"}
    assert delete["operation"] == "DELETE" and delete["object"] is None
    assert delete["oldObject"]["data"] == {"k": "w"}
    assert delete["options"] == {"kind": "DeleteOptions", "apiVersion": "meta.k8s.io/v1",
                                 "propagationPolicy": "Background"}

    # a patch is an UPDATE with PatchOptions
    assert create_configmap(srv, ns, "patched")[0] == 201
    code, _, body = srv.request("PATCH", f"/api/v1/namespaces/{ns}/configmaps/patched?fieldManager=patcher",
                                b'{"data":{"p":"1"}}', headers={"Content-Type": "application/merge-patch+json"})
    assert code == 200, body
    patch = hook_server.requests("/record")[-1]
    assert patch["operation"] == "UPDATE" and patch["object"]["data"] == {"p": "1"}
    assert patch["options"] == {"kind": "PatchOptions", "apiVersion": "meta.k8s.io/v1", "fieldManager": "patcher"}
    assert len({create["uid"], update["uid"], delete["uid"]}) == 3


def test_namespace_requests_name_their_namespace_except_on_create(srv, configs, hook_server, ns):
    hook_server.handlers["/namespaces"] = lambda request: None
    configs.validating("namespaces", configs.webhook("namespaces.example.com", "/namespaces", resources=["namespaces"],
                                                     objectSelector={"matchLabels": {"watched": ns}}))
    name = f"{ns}-watched"
    code, _, body = srv.request("POST", "/api/v1/namespaces", {"apiVersion": "v1", "kind": "Namespace",
                                                               "metadata": {"name": name, "labels": {"watched": ns}}})
    assert code == 201, body
    namespace = json.loads(body)
    namespace["metadata"]["annotations"] = {"a": "b"}
    assert srv.request("PUT", f"/api/v1/namespaces/{name}", namespace)[0] == 200
    assert srv.request("DELETE", f"/api/v1/namespaces/{name}")[0] == 200
    create, update, delete = hook_server.requests("/namespaces")[-3:]
    assert (create["operation"], "namespace" in create) == ("CREATE", False)
    assert (update["operation"], update["namespace"]) == ("UPDATE", name)
    assert (delete["operation"], delete["namespace"]) == ("DELETE", name)
    assert create["kind"] == {"group": "", "version": "v1", "kind": "Namespace"}


def test_python_client_sees_denials_and_warnings(srv, configs, hook_server, ns):
    kubernetes = pytest.importorskip("kubernetes")
    from kubernetes.client.rest import ApiException

    hook_server.handlers["/warn"] = lambda request: {"warnings": ["first warning", "second warning"]}
    hook_server.handlers["/deny"] = lambda request: {"allowed": False, "status": {"code": 422, "reason": "Invalid",
                                                                                "message": "name is taken"}}
    configs.validating("warn", configs.webhook("warn.example.com", "/warn", ns))
    configs.validating("deny", configs.webhook("deny.example.com", "/deny", ns,
                                               objectSelector={"matchLabels": {"deny": "yes"}}))
    client = kubernetes.config.new_client_from_config(str(srv.kubeconfig))
    try:
        core = kubernetes.client.CoreV1Api(client)
        _, code, headers = core.create_namespaced_config_map_with_http_info(
            ns, kubernetes.client.V1ConfigMap(metadata=kubernetes.client.V1ObjectMeta(name="ok")))
        assert code == 201
        assert headers.get("Warning") in ('299 - "first warning", 299 - "second warning"',
                                          '299 - "first warning",299 - "second warning"')
        with pytest.raises(ApiException) as raised:
            core.create_namespaced_config_map(ns, kubernetes.client.V1ConfigMap(
                metadata=kubernetes.client.V1ObjectMeta(name="taken", labels={"deny": "yes"})))
        assert raised.value.status == 422
        assert json.loads(raised.value.body)["message"] == ('admission webhook "deny.example.com" denied the '
                                                            "request: name is taken")
    finally:
        client.close()


@pytest.mark.skipif(KUBECTL is None, reason="kubectl is not installed on this machine")
def test_kubectl(srv, configs, hook_server, ca_bundle, ns, tmp_path):
    hook_server.handlers["/kubectl"] = lambda request: (
        {"allowed": False, "status": {"code": 403, "message": "kubectl may not create this"}}
        if request["name"] == "refused" else {"warnings": ["looked at by the webhook"]})
    manifest = tmp_path / "webhook.json"
    manifest.write_text(json.dumps({
        "apiVersion": "admissionregistration.k8s.io/v1", "kind": "ValidatingWebhookConfiguration",
        "metadata": {"name": "kubectl-hook"},
        "webhooks": [configs.webhook("kubectl.example.com", "/kubectl", ns, operations=["CREATE"])]}))
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def kubectl(*args):
        return subprocess.run([KUBECTL, "--kubeconfig", str(srv.kubeconfig), *args], capture_output=True,
                              text=True, timeout=60, env=env)

    result = kubectl("apply", "-f", str(manifest))
    assert result.returncode == 0, result.stderr
    configs.created.append(f"{ADMISSION}/validatingwebhookconfigurations/kubectl-hook")
    configs.wait("ValidatingWebhookConfiguration", "kubectl-hook", present=True)
    result = kubectl("get", "validatingwebhookconfigurations", "kubectl-hook")
    assert result.returncode == 0 and "kubectl-hook" in result.stdout

    result = kubectl("create", "configmap", "refused", "-n", ns)
    assert result.returncode != 0
    assert ('admission webhook "kubectl.example.com" denied the request: kubectl may not create this'
            in result.stderr)
    result = kubectl("create", "configmap", "accepted", "-n", ns)
    assert result.returncode == 0, result.stderr
    assert "Warning: looked at by the webhook" in result.stderr
