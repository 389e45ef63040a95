"""A loopback double of the Notebooks Hub API's launch endpoint.

``POST /hub/servers/{user}/{server}/launch`` answers the plan registered for
the ticket in the body when the bearer token is the spawner's and the ticket
was minted for that user and server; 403 otherwise, as the API does.  Every
request is recorded (path, Authorization header, parsed body)."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote


class LaunchApi:
    def __init__(self, token: str):
        self.token = token
        self.tickets: dict[str, tuple[str, str, dict]] = {}
        self.requests: list[tuple[str, str | None, object]] = []
        double = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length)
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                auth = self.headers.get("Authorization")
                double.requests.append((self.path, auth, body))
                status, answer = double.answer(self.path, auth, body)
                data = json.dumps(answer).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True)

    def mint(self, ticket: str, hub_user: str, server_name: str, plan: dict) -> str:
        """Register the plan ``ticket`` redeems, bound to one server."""
        self.tickets[ticket] = (hub_user, server_name, plan)
        return ticket

    def answer(self, path, auth, body):
        if auth != f"Bearer {self.token}" or not isinstance(body, dict):
            return 403, {"error": "forbidden"}
        minted = self.tickets.get(body.get("launchTicket"))
        if minted is None:
            return 403, {"error": "forbidden"}
        hub_user, server_name, plan = minted
        if path != f"/hub/servers/{quote(hub_user, safe='')}/{quote(server_name, safe='')}/launch":
            return 403, {"error": "forbidden"}
        return 200, plan

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()
