"""The etcd gateway client's HTTP/1.1 framing, against a loopback server that answers the way etcd's gateway can:
Content-Length, chunked (in pieces), close-delimited, and a pooled connection the member has closed."""

import http.client
import socket
import threading

import pytest
from support import read_head

from apiserver.storage.etcdclient import Endpoint, GatewayConnection, ProtocolError


class OneShotServer:
    """Accepts connections and answers each request with the next of ``answers`` (a list of byte pieces, sent
    with pauses so the client must read several times); ``None`` closes the connection without answering, and
    so does an answer with neither Content-Length nor chunked encoding, once sent, and an answer followed by
    ``None``."""

    def __init__(self, answers):
        self.answers = list(answers)
        self.requests = []
        self.listener = socket.socket()
        self.listener.bind(("127.0.0.1", 0))
        self.listener.listen()
        self.port = self.listener.getsockname()[1]
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while self.answers:
            conn, _ = self.listener.accept()
            with conn:
                while self.answers:
                    data = read_head(conn)
                    if not data:
                        break
                    head, _, body = data.partition(b"\r\n\r\n")
                    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
                    while len(body) < length:
                        body += conn.recv(65536)
                    self.requests.append((head.split(b"\r\n")[0], body))
                    answer = self.answers.pop(0)
                    if answer is None:
                        break
                    for piece in answer:
                        conn.sendall(piece)
                        threading.Event().wait(0.01)
                    framed = b"".join(answer).split(b"\r\n\r\n")[0].lower()
                    if b"content-length" not in framed and b"chunked" not in framed:
                        break
                    if self.answers and self.answers[0] is None:   # cut off right after this answer
                        self.answers.pop(0)
                        break

    def close(self):
        self.listener.close()


@pytest.fixture
def server():
    made = []

    def make(*answers):
        made.append(OneShotServer(answers))
        return made[-1]

    yield make
    for s in made:
        s.close()


def connect(port):
    conn = GatewayConnection(Endpoint(f"http://127.0.0.1:{port}", None))
    conn.connect(2.0)
    return conn


def call(conn, body=b'{"k":1}'):
    conn.send("/v3/kv/range", body, 2.0)
    return conn.receive()


def test_content_length_and_chunked_answers_on_one_kept_alive_connection(server):
    s = server([b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-", b"Length: 9\r\n\r\n{\"a\":",
                b"\"b\"}"],
               [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"x\":", b"\r\n3\r\n[1]\r\n1",
                b"\r\n}\r\n0\r\n\r\n"])
    conn = connect(s.port)
    assert call(conn) == (200, b'{"a":"b"}')
    assert call(conn, b"{}") == (200, b'{"x":[1]}')
    assert s.requests == [(b"POST /v3/kv/range HTTP/1.1", b'{"k":1}'), (b"POST /v3/kv/range HTTP/1.1", b"{}")]
    assert conn.sock is not None   # still open for the next call
    conn.close()


def test_an_error_status_and_a_close_delimited_body(server):
    s = server([b"HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\n\r\n",
                b'{"error":"etcdserver: no leader",', b'"code":14}'])
    conn = connect(s.port)
    assert call(conn) == (503, b'{"error":"etcdserver: no leader","code":14}')
    assert conn.sock is None   # the answer ended with the connection: it is not pooled again


def test_a_pooled_connection_closed_by_the_member_is_told_apart(server):
    s = server(None)
    conn = connect(s.port)
    conn.send("/v3/kv/range", b"{}", 2.0)
    with pytest.raises(http.client.RemoteDisconnected):
        conn.receive()


def test_garbage_and_cut_answers_are_protocol_errors(server):
    s = server([b"SSH-2.0-OpenSSH_9.6\r\n\r\n"])
    with pytest.raises(ProtocolError):
        call(connect(s.port))
    s2 = server([b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"short\":"], None)
    with pytest.raises(ProtocolError):
        call(connect(s2.port))


def test_a_member_that_never_answers_times_out():
    """Plain sockets wait with the kernel's timeout (SO_RCVTIMEO): a silent member is a timeout, not a hang, and a
    call gives up within its deadline."""
    import time

    from apiserver.storage.etcdclient import AmbiguousError, EtcdClient
    from apiserver.storage.interface import UnavailableError

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    port = listener.getsockname()[1]
    try:
        conn = GatewayConnection(Endpoint(f"http://127.0.0.1:{port}", None))
        conn.connect(2.0)
        conn.send("/v3/kv/range", b"{}", 0.3)
        start = time.monotonic()
        with pytest.raises(socket.timeout):
            conn.receive()
        assert 0.2 < time.monotonic() - start < 2.0
        conn.close()
        client = EtcdClient([f"http://127.0.0.1:{port}"], request_timeout=1.0)
        start = time.monotonic()
        with pytest.raises(UnavailableError):
            client.call("/v3/kv/range", {"key": "eA=="})
        with pytest.raises(AmbiguousError):   # a write that was sent may have been applied
            client.call("/v3/kv/put", {"key": "eA==", "value": "eQ=="}, write=True)
        assert time.monotonic() - start < 5.0
        client.close()
    finally:
        listener.close()
