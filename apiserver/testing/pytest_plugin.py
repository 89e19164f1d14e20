"""pytest fixtures for operator and client tests: a real API server in the test process.

Registered through the ``pytest11`` entry point, so installed packages get it without configuration; every fixture
is opt-in by name and nothing starts unless a test asks for one.

    kube_apiserver   the session's KubeAPIServer (options --apiserver-storage, --apiserver-flag)
    kubeconfig       its admin kubeconfig path; KUBECONFIG points at it for the test
    kube_namespace   a fresh namespace name, deleted (the real namespace deletion) after the test

A failed test's report gets a section listing the API requests made during it (verb, path, status, message).
"""

from __future__ import annotations

import uuid
from typing import List

import pytest

from apiserver.testing import KubeAPIServer, RequestLine

REQUESTS_KEY = pytest.StashKey[List[RequestLine]]()
NAMESPACE_DELETE_TIMEOUT = 30.0


def pytest_addoption(parser):
    group = parser.getgroup("apiserver", "in-process Kubernetes API server (apiserver.testing)")
    group.addoption("--apiserver-storage", choices=("memory", "sqlite"), default="memory",
                    help="storage backend of the kube_apiserver fixture (default: memory)")
    group.addoption("--apiserver-flag", action="append", default=[], metavar="FLAG",
                    help="a server flag for the kube_apiserver fixture, e.g. --apiserver-flag=--v=2 (repeatable)")


@pytest.fixture(scope="session")
def kube_apiserver(request):
    """One server for the session, started on first use."""
    server = KubeAPIServer(storage=request.config.getoption("--apiserver-storage"),
                           flags=request.config.getoption("--apiserver-flag"))
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(autouse=True)
def _apiserver_requests(request):
    """Record the API requests of each test that uses the server (cheap otherwise: no server, no recording)."""
    if "kube_apiserver" not in request.fixturenames:
        yield
        return
    server = request.getfixturevalue("kube_apiserver")
    lines: List[RequestLine] = []
    request.node.stash[REQUESTS_KEY] = lines
    server.recorders.append(lines)
    try:
        yield
    finally:
        server.recorders.remove(lines)


@pytest.fixture
def kubeconfig(kube_apiserver, monkeypatch) -> str:
    monkeypatch.setenv("KUBECONFIG", kube_apiserver.kubeconfig)
    return kube_apiserver.kubeconfig


@pytest.fixture
def kube_namespace(kube_apiserver) -> str:
    """A new namespace; afterwards deleted as a client would, waiting until the namespace controller is done."""
    name = f"test-{uuid.uuid4().hex[:10]}"
    kube_apiserver.create_namespace(name)
    yield name
    kube_apiserver.delete_namespace(name, NAMESPACE_DELETE_TIMEOUT)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    lines = item.stash.get(REQUESTS_KEY, None)
    if lines and report.failed:
        report.sections.append((f"API requests ({report.when})", "\n".join(str(line) for line in list(lines))))

