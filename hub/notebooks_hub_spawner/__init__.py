"""JupyterHub spawners for the Notebooks Hub API.

Import the spawner you need from its module, e.g.::

    c.JupyterHub.spawner_class = "notebooks_hub_spawner.local.NotebooksHubLocalSpawner"

(The modules are not imported here so that a KubeSpawner hub does not need
util-linux and a local hub does not need the kubernetes client.)
"""

from .errors import OptionsError, SpawnError

__all__ = ["OptionsError", "SpawnError"]
__version__ = "0.1.0"
