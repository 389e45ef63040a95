"""Test fixtures shared by the local spawner tests: a fake Notebooks Hub API
answering secret values, and spawner instances built from traitlets config."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from jupyterhub.objects import Hub
from traitlets.config import Config

TOKEN = "spawner-token-123"
ENV_SECRET = "s3cr3t-env-VALUE"
RAW_SECRET = "-----BEGIN s3cr3t RAW-----\nline two\n"
S_ENV = "55555555-5555-4555-8555-555555555555"
S_RAW = "66666666-6666-4666-8666-666666666666"


class JsonHandler(BaseHTTPRequestHandler):
    """Answers JSON, quietly: the request handlers of the test doubles below."""

    def reply(self, status, body):
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


class LoopbackServer:
    """An HTTP server on a free loopback port, served from a thread while in a ``with`` block."""

    def __init__(self, handler_class):
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), handler_class)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


class FakeApi(LoopbackServer):
    """``GET /hub/servers/{user}/{server}/secrets`` with a bearer token check."""

    def __init__(self, values, status=200):
        self.values, self.status, self.requests = values, status, []
        api = self

        class Handler(JsonHandler):
            def do_GET(self):  # noqa: N802 (http.server naming)
                api.requests.append((self.path, self.headers.get("Authorization")))
                ok = self.headers.get("Authorization") == f"Bearer {TOKEN}"
                status = api.status if ok else 401
                self.reply(status, api.values if status == 200 else {"error": ENV_SECRET})

        super().__init__(Handler)


def secret_values(raw_mount_path):
    return [
        {"id": S_ENV, "secretName": "db", "type": "env_var", "value": {"DB_PASS": ENV_SECRET}},
        {"id": S_RAW, "secretName": "key", "type": "raw", "mount_path": raw_mount_path, "value": RAW_SECRET},
    ]


def secret_options(raw_mount_path):
    return [
        {"id": S_ENV, "secretName": "db", "type": "env_var", "secret_path": "kv/db"},
        {"id": S_RAW, "secretName": "key", "type": "raw", "secret_path": "kv/key", "mount_path": raw_mount_path},
    ]


def make_spawner(cls, *, user="ann", server_name="my work", user_options=None, **config):
    """A spawner as JupyterHub would build it, minus the database."""
    c = Config()
    for key, value in config.items():
        setattr(c[cls.__name__], key, value)
    spawner = cls(
        config=c,
        user=SimpleNamespace(name=user, escaped_name=user, url=f"/user/{user}/"),
        hub=Hub(),
        orm_spawner=SimpleNamespace(name=server_name, server=None),
    )
    spawner.user_options = user_options or {}
    return spawner
