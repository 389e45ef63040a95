# The hub image for zero-to-jupyterhub: the chart's own hub image (JupyterHub,
# KubeSpawner, the chart's configuration loader) plus this repository's
# spawner hook and OpenID authenticator (hub/). Build from the repository root:
#   docker build -f deploy/kubernetes/zero-to-jupyterhub/hub.Dockerfile -t <registry>/notebooks-hub-k8s-hub:4.3.5 .
# The base tag is the chart version (values.yaml names the chart it was written for).
FROM quay.io/jupyterhub/k8s-hub:4.3.5

USER root
COPY hub /opt/notebooks-hub-spawner
# The hooks need no extra: they build with kubernetes_asyncio, KubeSpawner's
# own client library, and write the server's Secret with KubeSpawner's client.
RUN pip install --no-cache-dir /opt/notebooks-hub-spawner
# The chart runs the hub as uid 1000 (jovyan), as the base image does.
USER 1000
