"""A webhook receiver on 127.0.0.1 in a thread: answers each request with the next scripted
status (the last one repeats), can hold a request until released, and keeps what it got."""

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: str
    at: float


@dataclass
class Receiver:
    statuses: list[int] = field(default_factory=lambda: [200])
    hold_first: bool = False  # keep the first request waiting until release()
    received: list[Received] = field(default_factory=list)
    got_one: threading.Event = field(default_factory=threading.Event)
    released: threading.Event = field(default_factory=threading.Event)

    def start(self) -> "Receiver":
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                import time

                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode()
                number = len(receiver.received)
                receiver.received.append(
                    Received(self.path, dict(self.headers.items()), body, time.monotonic())
                )
                receiver.got_one.set()
                if receiver.hold_first and number == 0:
                    receiver.released.wait(60)
                status = receiver.statuses[min(number, len(receiver.statuses) - 1)]
                try:
                    self.send_response(status)
                    if 300 <= status < 400:
                        self.send_header("Location", "http://127.0.0.1:9/elsewhere")
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"ok")
                except OSError:  # the sender is gone (a worker killed mid-request)
                    pass

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def ids(self) -> list[str]:
        return [r.headers.get("webhook-id", "") for r in self.received]

    def stop(self) -> None:
        self.released.set()
        self.server.shutdown()
        self.server.server_close()
