"""Redeeming a server's launch ticket at the Notebooks Hub API.

The API starts a server with ``user_options = {"launchTicket": ...}``.  The
spawner sends the ticket back with its own credential and gets the launch
plan: the only thing it acts on.  Error messages name the server and the
HTTP status; a response body is never quoted because it could hold secret
values.
"""

from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .errors import SpawnError

_TICKET = re.compile(r"^[A-Za-z0-9_-]{20,128}$")

NOT_FROM_THE_API = (
    "This server was not started by the Notebooks Hub API: servers start from a template "
    "in the Notebooks Hub (its launch ticket is missing, used, expired or for another server)"
)


def launch_ticket(user_options: Any) -> str | None:
    """The ticket in user_options, or None when they are anything else: a
    person can send the hub any user_options they like."""
    if not isinstance(user_options, dict) or set(user_options) != {"launchTicket"}:
        return None
    ticket = user_options["launchTicket"]
    return ticket if isinstance(ticket, str) and _TICKET.match(ticket) else None


def launch_url(api_url: str, hub_user: str, server_name: str) -> str:
    return "{}/hub/servers/{}/{}/launch".format(
        api_url.rstrip("/"), quote(hub_user, safe=""), quote(server_name, safe="")
    )


async def redeem_launch_ticket(
    api_url: str,
    token: str,
    hub_user: str,
    server_name: str,
    user_options: Any,
    limits_enforced: bool,
    timeout: float = 10.0,
) -> Any:
    """POST the ticket of user_options; the plan (parsed JSON) on 200,
    SpawnError otherwise.  Options without a valid ticket are refused too,
    after telling the API (no ticket in the request), which counts every
    refused launch."""
    ticket = launch_ticket(user_options)
    if not api_url or not token:
        raise SpawnError(
            "This hub has no NOTEBOOKS_HUB_API_URL or NOTEBOOKS_HUB_SPAWNER_TOKEN configured: "
            "it cannot ask the Notebooks Hub API what to start"
        )
    request = HTTPRequest(
        launch_url(api_url, hub_user, server_name),
        method="POST",
        headers={
            "Authorization": f"Bearer {token}",
            "Accept": "application/json",
            "Content-Type": "application/json",
        },
        body=json.dumps({**({"launchTicket": ticket} if ticket else {}), "limitsEnforced": limits_enforced}),
        connect_timeout=timeout,
        request_timeout=timeout,
    )
    what = f"the launch plan of server '{server_name}'"
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except Exception as exc:  # DNS, TLS, refused connection
        if ticket is None:
            raise SpawnError(NOT_FROM_THE_API) from None
        raise SpawnError(f"Could not fetch {what} from the Notebooks Hub API: {type(exc).__name__}") from None
    if ticket is None:
        raise SpawnError(NOT_FROM_THE_API)
    if response.code == 599:  # tornado's code for timeouts and connection errors
        raise SpawnError(f"Could not fetch {what} from the Notebooks Hub API: no answer within {timeout:g}s or connection failed")
    if response.code == 403:
        raise SpawnError(NOT_FROM_THE_API)
    if response.code != 200:
        raise SpawnError(f"The Notebooks Hub API refused {what}: HTTP {response.code}")
    try:
        return json.loads(response.body)
    except (ValueError, TypeError):
        raise SpawnError(f"The Notebooks Hub API answered {what} with invalid JSON") from None
