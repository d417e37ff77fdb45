"""A delivery that got no answer records why in words a person can act on: the host name
did not resolve, the connection was refused, it timed out, TLS failed; not the exception's
repr (`gaierror: [Errno -2] Name or service not known`), which goes to the log."""

import socket
import threading

import pytest

from apps.humans import webhooks


@pytest.fixture
def local(settings):
    settings.MANDATE_WEBHOOKS_ALLOW_PRIVATE = True


def attempt(url: str) -> webhooks.Result:
    return webhooks.post(url, body="{}", headers={}, timeout=1)


@pytest.fixture
def listener():
    """A socket that accepts connections; `answer` is what it writes back (None: silence)."""
    sockets = []

    def start(answer: bytes | None) -> int:
        server = socket.socket()
        server.bind(("127.0.0.1", 0))
        server.listen(5)
        sockets.append(server)

        def serve():
            while True:
                try:
                    conn, _ = server.accept()
                except OSError:
                    return
                sockets.append(conn)
                if answer is not None:
                    conn.recv(4096)
                    conn.sendall(answer)
                    conn.close()

        threading.Thread(target=serve, daemon=True).start()
        return server.getsockname()[1]

    yield start
    for s in sockets:
        s.close()


def test_a_name_that_does_not_resolve(monkeypatch, local):
    def no_dns(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks, "resolve", no_dns)
    result = attempt("https://hooks.example.invalid/x")
    assert result.status_code is None
    assert result.error == "The host name hooks.example.invalid could not be resolved."


def test_a_refused_connection(local):
    spare = socket.socket()  # a port nothing listens on: bound, then closed
    spare.bind(("127.0.0.1", 0))
    closed = spare.getsockname()[1]
    spare.close()
    result = attempt(f"http://127.0.0.1:{closed}/x")
    assert result.error.startswith("Connection refused")
    assert "Errno" not in result.error


def test_a_receiver_that_never_answers(local, listener):
    port = listener(None)
    assert attempt(f"http://127.0.0.1:{port}/x").error == "Timed out after 1 s."


def test_tls_with_a_receiver_that_speaks_plain_http(local, listener):
    port = listener(b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n")
    result = attempt(f"https://127.0.0.1:{port}/x")
    assert result.error.startswith("TLS error: ")
    assert "_ssl.c" not in result.error
    assert "SSLError" not in result.error


def test_the_technical_detail_goes_to_the_log(monkeypatch, local, caplog):
    def no_dns(host, port):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(webhooks, "resolve", no_dns)
    with caplog.at_level("INFO", logger="apps.humans.webhooks"):
        attempt("https://hooks.example.invalid/secret-path")
    assert "Name or service not known" in caplog.text
    assert "secret-path" not in caplog.text  # the URL as the audit trail keeps it
