"""A loopback double of the Notebooks Hub API's launch endpoint.

``POST /hub/servers/{user}/{server}/launch`` answers the plan registered for
the ticket in the body when the bearer token is the spawner's and the ticket
was minted for that user and server; 403 otherwise, as the API does.  Every
request is recorded (path, Authorization header, parsed body)."""

import json
from urllib.parse import quote

from helpers import JsonHandler, LoopbackServer


class LaunchApi(LoopbackServer):
    def __init__(self, token: str):
        self.token = token
        self.tickets: dict[str, tuple[str, str, dict]] = {}
        self.requests: list[tuple[str, str | None, object]] = []
        double = self

        class Handler(JsonHandler):
            def do_POST(self):  # noqa: N802 (http.server naming)
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                try:
                    body = json.loads(raw)
                except ValueError:
                    body = None
                auth = self.headers.get("Authorization")
                double.requests.append((self.path, auth, body))
                self.reply(*double.answer(self.path, auth, body))

        super().__init__(Handler)

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
