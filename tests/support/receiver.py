"""A webhook receiver in a thread (werkzeug's server on loopback) for in-process tests: it
records each request and answers the next status of its script (then 200)."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Receiver:
    url: str = ""
    requests: list[Received] = field(default_factory=list)
    script: list[int] = field(default_factory=list)  # statuses to answer first, in turn
    # project code -> how many of its first requests get a 503 (streams of different projects
    # are sent in parallel, so a script in arrival order would not say which one fails)
    fail_project: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        req = Request(environ)
        with self.lock:
            self.requests.append(Received({k.lower(): v for k, v in req.headers.items()},
                                          req.get_data()))
            status = self.script.pop(0) if self.script else 200
            project = _project_code(req.get_data())
            if self.fail_project.get(project, 0) > 0:
                self.fail_project[project] -= 1
                status = 503
        return Response("ok" if status < 300 else "no", status=status)(environ, start_response)


def _project_code(body: bytes) -> str:
    try:
        return str(json.loads(body).get("project_code", ""))
    except (ValueError, AttributeError):
        return ""


@contextmanager
def receiver(path: str = "/hooks") -> Iterator[Receiver]:
    r = Receiver()
    server = make_server("127.0.0.1", 0, r, threaded=True)
    r.url = f"http://127.0.0.1:{server.server_port}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield r
    finally:
        server.shutdown()
        thread.join(timeout=10)
