# Vault server configuration for the local docker-compose stack.
#
# Mounted at /vault/config/vault.hcl; the image's entrypoint runs
# `vault server -config=/vault/config` when the container command is `server`.
# Data lives in the `vault-data` named volume at /vault/file.
#
# The server starts sealed and uninitialised. Once, after the first start:
#   docker compose exec vault vault operator init
#   docker compose exec vault vault operator unseal   (3 times, 3 unseal keys)
# Keep the unseal keys and the root token somewhere safe.

storage "file" {
  path = "/vault/file"
}

listener "tcp" {
  address = "0.0.0.0:8200"
  # Local development only: in a real deployment serve TLS here
  # (tls_cert_file / tls_key_file) or terminate https in front of Vault.
  tls_disable = true
}

api_addr     = "http://vault:8200"
cluster_addr = "http://vault:8201"

# The container gets the IPC_LOCK capability, so memory can be locked and
# secrets are never swapped to disk.
disable_mlock = false

ui = true
