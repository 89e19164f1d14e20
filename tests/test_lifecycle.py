"""The shutdown sequence in-process: streams end cleanly, retry-after mode, signal handler set-up."""

import json
import subprocess
import sys
import threading
import time

import pytest

from apiserver.server.request import Response
from apiserver.server.signals import SignalHandler


def slow(req):
    time.sleep(float(req.param("s", "1")))
    return Response.text("done")


def test_signal_handler_twice_raises_and_restores():
    first = SignalHandler()
    stop = first.install()
    try:
        with pytest.raises(RuntimeError):
            SignalHandler().install()
        assert not stop.is_set()
        assert first.request_shutdown() is True
        assert stop.is_set() and first.request_shutdown() is False
    finally:
        first.restore()
    again = SignalHandler()
    again.install()  # restored, so it can be set up again
    again.restore()


SIGNAL_WHILE_WAITING = """
import os, signal, sys, time
from apiserver.server.signals import SignalHandler
handler = SignalHandler()
stop = handler.install()
with stop._cond:            # as if the signal landed while the main thread was entering stop.wait()
    os.kill(os.getpid(), signal.SIGTERM)
    time.sleep(0.2)         # the handler runs here, on this thread, while the lock is held
sys.exit(0 if stop.wait(5) else 3)
"""


def test_signal_handler_takes_no_lock_the_main_thread_may_hold():
    # Setting the event inside the handler would deadlock here: the lock is not reentrant.
    result = subprocess.run([sys.executable, "-c", SIGNAL_WHILE_WAITING], timeout=20, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


SIGNAL_TO_ANOTHER_THREAD = """
import signal, sys, threading, time
from apiserver.server.signals import SignalHandler
stop = SignalHandler().install()
worker = threading.Thread(target=time.sleep, args=(30,), daemon=True)
worker.start()
threading.Timer(0.3, lambda: signal.pthread_kill(worker.ident, signal.SIGTERM)).start()
start = time.monotonic()
sys.exit(0 if stop.wait(10) and time.monotonic() - start < 5 else 3)
"""


def test_a_signal_delivered_to_another_thread_stops_a_main_thread_that_is_waiting():
    # The kernel may hand a process's signal to any thread; Python's handlers wait for the main thread, which
    # is blocked in stop.wait() and would not see it.
    result = subprocess.run([sys.executable, "-c", SIGNAL_TO_ANOTHER_THREAD], timeout=30, capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("grace", ["0s", "5s"])
def test_watch_streams_end_cleanly_on_shutdown(make_server, grace):
    srv = make_server(f"--shutdown-watch-termination-grace-period={grace}")
    conn = srv.connection()
    conn.request("GET", "/api/v1/namespaces/default/configmaps?watch=true&resourceVersion="
                 f"{srv.config.store.current_revision()}")
    resp = conn.getresponse()
    assert resp.status == 200 and resp.headers["Transfer-Encoding"] == "chunked"
    srv.request("POST", "/api/v1/namespaces/default/configmaps",
                body={"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "during-watch"}})
    first = json.loads(resp.readline())
    assert first["type"] == "ADDED" and first["object"]["metadata"]["name"] == "during-watch"
    _, _, metrics = srv.request("GET", "/metrics")
    assert 'apiserver_longrunning_requests{verb="WATCH",group="",version="v1",resource="configmaps",' \
           'subresource="",scope="namespace",component="apiserver"} 1' in metrics.decode()
    start = time.monotonic()
    srv.stop_event.set()
    assert resp.read() == b""  # returns at the terminating chunk: the stream ended cleanly, not cut off
    assert resp.isclosed()
    srv.thread.join(10)
    assert not srv.thread.is_alive() and time.monotonic() - start < 5
    conn.close()


def test_send_retry_after_mode(make_server):
    srv = make_server("--shutdown-send-retry-after", "--shutdown-delay-duration=1s", routes={"/slow": slow})
    result = {}
    t = threading.Thread(target=lambda: result.update(r=srv.request("GET", "/slow?s=2")))
    t.start()
    time.sleep(0.3)
    srv.stop_event.set()
    assert srv.config.lifecycle.shutdown_initiated.wait(2)
    assert srv.request("GET", "/readyz")[0] == 500          # readyz red during the delay
    assert srv.request("GET", "/version")[0] == 200         # everything else still served
    assert srv.config.lifecycle.not_accepting_new_requests.wait(3)
    code, headers, body = srv.request("GET", "/version")    # still listening, but sending clients away
    assert (code, body) == (429, b"The apiserver is shutting down, please try again later.\n")
    assert headers["Retry-After"] == "5" and headers["Connection"] == "close"
    assert srv.request("GET", "/healthz")[0] == 200         # health and metrics are exempt
    t.join(5)
    assert result["r"][::2] == (200, b"done")               # the in-flight request finished
    srv.thread.join(10)
    assert srv.config.lifecycle.in_flight_requests_drained.signaled()
