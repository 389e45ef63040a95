"""Exceptions whose message is meant for the person who started the server.

JupyterHub shows a failed spawn in two places: the progress stream
(``"Spawn failed: " + jupyterhub_message or str(exc)``), which the Notebooks
Hub API stores as the server's ``lastError``, and the JSON body of a fast
failing ``POST /users/{user}/servers/{name}``, built from
``exc.log_message % exc.args``.  Both attributes are set here so the same
sentence reaches the user whichever path reports it.

Messages never contain secret values: callers only ever pass names, ids,
paths and HTTP statuses.
"""


class _UserFacingMessage:
    """Mixin giving an exception the attributes JupyterHub reads its message from."""

    # JupyterHub's APIHandler.write_error formats ``log_message % args``;
    # "%s" with the single message argument reproduces the message verbatim,
    # even when it contains a literal "%".
    log_message = "%s"

    def __init__(self, message: str):
        super().__init__(message)
        self.jupyterhub_message = message


class OptionsError(_UserFacingMessage, ValueError):
    """user_options (or the hub's configuration they refer to) are invalid."""


class SpawnError(_UserFacingMessage, RuntimeError):
    """The server cannot be started for a reason outside user_options."""
