"""Fetching a starting server's secret values from the Notebooks Hub API.

The API gives values only to the spawner (bearer token), only while the
server is starting.  Error messages name the server and the HTTP status;
the response body is never quoted because it could hold values.
"""

from __future__ import annotations

import json
from urllib.parse import quote

from tornado.httpclient import AsyncHTTPClient, HTTPRequest

from .errors import SpawnError


def secrets_url(api_url: str, hub_user: str, server_name: str) -> str:
    return "{}/hub/servers/{}/{}/secrets".format(
        api_url.rstrip("/"), quote(hub_user, safe=""), quote(server_name, safe="")
    )


async def fetch_secret_values(
    api_url: str, token: str, hub_user: str, server_name: str, timeout: float = 10.0
) -> list:
    """GET the values; raise SpawnError naming the status on anything but 200."""
    if not api_url or not token:
        raise SpawnError(
            "This server needs secrets but the hub has no NOTEBOOKS_HUB_API_URL "
            "or NOTEBOOKS_HUB_SPAWNER_TOKEN configured"
        )
    request = HTTPRequest(
        secrets_url(api_url, hub_user, server_name),
        method="GET",
        headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
        connect_timeout=timeout,
        request_timeout=timeout,
    )
    what = f"the secrets of server '{server_name}'"
    try:
        response = await AsyncHTTPClient().fetch(request, raise_error=False)
    except Exception as exc:  # DNS, TLS, refused connection
        raise SpawnError(f"Could not fetch {what} from the Notebooks Hub API: {type(exc).__name__}") from None
    if response.code == 599:  # tornado's code for timeouts and connection errors
        raise SpawnError(f"Could not fetch {what} from the Notebooks Hub API: no answer within {timeout:g}s or connection failed")
    if response.code != 200:
        raise SpawnError(f"The Notebooks Hub API refused {what}: HTTP {response.code}")
    try:
        return json.loads(response.body)
    except (ValueError, TypeError):
        raise SpawnError(f"The Notebooks Hub API answered {what} with invalid JSON") from None
