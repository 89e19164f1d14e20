import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))

from support import ServerThread  # noqa: E402

from apiserver import logs  # noqa: E402

# The testing kit's fixtures (kube_apiserver, kubeconfig, kube_namespace), for the tests of the kit itself; an
# installed package registers the same module through its pytest11 entry point, under the same name.
pytest_plugins = ["apiserver.testing.pytest_plugin"]

# In-process servers log to the test output only what matters (subprocess tests read their own logs).
logs.configure("console", level="warning")


@pytest.fixture
def server(tmp_path):
    with ServerThread(tmp_path / "data") as srv:
        yield srv


@pytest.fixture
def make_server(tmp_path):
    """Start servers with given flags and routes; all are stopped after the test."""
    started = []

    def make(*flags, routes=None, customize=None, data_dir=None, wait_ready=True):
        srv = ServerThread(data_dir or tmp_path / f"data{len(started)}", *flags, routes=routes,
                           customize=customize, wait_ready=wait_ready).start()
        started.append(srv)
        return srv

    yield make
    for srv in started:
        srv.stop()
