"""A local HTTP file server on 127.0.0.1 with fault injection, for download tests (no internet)."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Faults:
    """What the server does wrong: per path, how many requests still misbehave."""

    drop_after: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (bytes sent, times)
    status: dict[str, tuple[int, int]] = field(default_factory=dict)  # path -> (HTTP status, times)
    ignore_range: set[str] = field(default_factory=set)


class FileServer:
    """Serves `files` (path -> bytes) with Range support; `requests` records (path, Range header)."""

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.faults = Faults()
        self.requests: list[tuple[str, str | None]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def do_GET(self) -> None:  # http.server's naming
                path = self.path
                rng = self.headers.get("Range")
                server.requests.append((path, rng))
                if path in server.faults.status:
                    code, times = server.faults.status[path]
                    if times > 0:
                        server.faults.status[path] = (code, times - 1)
                        self.send_error(code)
                        return
                data = server.files.get(path)
                if data is None:
                    self.send_error(404)
                    return
                start = 0
                if rng and path not in server.faults.ignore_range:
                    start = int(rng.removeprefix("bytes=").split("-")[0])
                    if start >= len(data):
                        self.send_error(416)
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(data) - 1}/{len(data)}")
                else:
                    self.send_response(200)
                body = data[start:]
                self.send_header("Content-Length", str(len(body)))
                self.send_header("Accept-Ranges", "bytes")
                self.end_headers()
                if path in server.faults.drop_after:
                    cut, times = server.faults.drop_after[path]
                    if times > 0:
                        server.faults.drop_after[path] = (cut, times - 1)
                        self.wfile.write(body[:cut])
                        self.wfile.flush()
                        self.close_connection = True
                        return
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)

    def __enter__(self) -> FileServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
