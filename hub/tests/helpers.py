"""Test fixtures shared by the spawner tests: a double of the Notebooks Hub
API's launch route (it speaks the real route's wire format: POST with the
spawner's bearer token and the ticket, 200 with a plan or 403) and spawner
instances built from traitlets config."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import SimpleNamespace

from jupyterhub.objects import Hub
from traitlets.config import Config

TOKEN = "spawner-token-123"
TICKET = "t1cket-" + "a" * 40
ENV_SECRET = "s3cr3t-env-VALUE"
RAW_SECRET = "-----BEGIN s3cr3t RAW-----\nline two\n"
D_RO = "11111111-1111-4111-8111-111111111111"
D_RW = "22222222-2222-4222-8222-222222222222"
M1 = "44444444-4444-4444-8444-444444444444"
S_ENV = "55555555-5555-4555-8555-555555555555"
S_RAW = "66666666-6666-4666-8666-666666666666"


def launch_plan(user="ann@lab.org", server="my-work", application="notebook", **over):
    plan = {
        "hubUser": user,
        "serverName": server,
        "owner": user,
        "application": application,
        "hardware": {"name": "small", "cpu": 0.5, "memory": 256 * 1024 * 1024},
        "datasets": [
            {"id": D_RO, "name": "Read only", "source": D_RO, "access": "read"},
            {"id": D_RW, "name": "rw", "source": D_RW, "access": "write"},
        ],
        "modules": [{"id": M1, "owner": "ann@lab.org", "name": "hello", "version": "1.0"}],
        "secrets": [
            {"id": S_ENV, "secretName": "db", "type": "env_var", "variables": {"DB_PASS": ENV_SECRET}},
            {"id": S_RAW, "secretName": "key", "type": "raw", "path": "ssh/key.pem", "content": RAW_SECRET},
        ],
    }
    plan.update(over)
    return plan


class JsonHandler(BaseHTTPRequestHandler):
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
    """``POST /hub/servers/{user}/{server}/launch``: the plan for the right
    token and ticket, once; 403 for anything else, as the API does."""

    def __init__(self, plan, status=200):
        self.plan, self.status, self.requests = plan, status, []
        self.redeemed = False
        api = self

        class Handler(JsonHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
                api.requests.append((self.path, self.headers.get("Authorization"), body))
                if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                    return self.reply(401, {"error": {"message": ENV_SECRET}})
                if body.get("launchTicket") != TICKET or api.redeemed:
                    return self.reply(403, {"error": {"message": "refused"}})
                if api.status != 200:
                    return self.reply(api.status, {"error": {"message": ENV_SECRET}})
                api.redeemed = True
                self.reply(200, api.plan)

        super().__init__(Handler)


def make_spawner(cls, *, user="ann@lab.org", server_name="my-work", user_options=None, ticket=TICKET, config=None, **settings):
    """A spawner as JupyterHub would build it for a named server, minus the
    database: on ``config``, or on ``settings`` of its class; asked to start
    with ``user_options``, by default the launch ticket alone."""
    c = Config() if config is None else config
    for key, value in settings.items():
        setattr(c[cls.__name__], key, value)
    spawner = cls(
        config=c,
        user=SimpleNamespace(name=user, id=7, escaped_name=user, url=f"/user/{user}/"),
        hub=Hub(),
        orm_spawner=SimpleNamespace(name=server_name, server=None),
    )
    spawner.user_options = {"launchTicket": ticket} if user_options is None else user_options
    return spawner
