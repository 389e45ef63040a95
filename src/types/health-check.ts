/** One dependency the API needs; `check` resolves with details or rejects with the reason. */
export interface HealthCheck {
  readonly name: string;
  /**
   * A service outside this process that every replica shares (the hub):
   * reported by GET /healthcheck but left out of readiness, since a peer
   * being down would take every replica out of the Service together, and
   * with them everything that works without that peer.
   */
  readonly peer?: boolean;
  check(): Promise<Record<string, unknown> | void>;
}
