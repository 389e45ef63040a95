"""The hub's own pages send people to the Notebooks Hub launcher.

People start, stop and open their servers from the launcher (the API's page
at its PUBLIC_URL); the hub's spawn buttons would only be refused, since
people hold no scope to start servers there. So the hub's home after a
login (``default_url``), its "server not running" page and its error pages
(a 404 for an expired or stale link among them) point to the launcher.

    from notebooks_hub_spawner.hub_pages import send_pages_to_launcher
    send_pages_to_launcher(c, "https://notebooks.example.org/")
"""

from __future__ import annotations

import os

#: Templates that extend JupyterHub's own (``templates/<name>``).
TEMPLATES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "templates")


def send_pages_to_launcher(c, launcher_url: str) -> None:
    """Points the hub's home and its not-running and error pages at ``launcher_url``."""
    c.JupyterHub.default_url = launcher_url
    c.JupyterHub.template_paths = [TEMPLATES]
    c.JupyterHub.template_vars = {"notebooks_hub_launcher_url": launcher_url}
