import {BindingScope, injectable} from '@loopback/core';
import {collectDefaultMetrics, Counter, Histogram, Registry} from 'prom-client';
import {STOPPED_REASONS, StoppedReason} from '../../kinds/server/server.model';

/** Outcomes of one hub request, as the peer error codes name them. */
export type HubOutcome = 'ok' | 'hub_error' | 'unavailable' | 'timeout';

/** Why the API refused to redeem a launch ticket: a fixed set, so refusals cannot grow the series. */
export const LAUNCH_REFUSALS = ['missing', 'unknown_or_used', 'expired', 'wrong_server', 'not_starting'] as const;
export type LaunchRefusal = (typeof LAUNCH_REFUSALS)[number];

/** The route label of a request no route matched: one value, so unknown paths cannot grow the series. */
export const UNMATCHED_ROUTE = '(unmatched)';

type RequestSeries = {count: Counter.Internal; duration: Histogram.Internal<string>};

/**
 * The API's Prometheus metrics, in a registry of its own (not prom-client's
 * global one), so two applications in one process keep theirs apart. Each
 * thing is counted where it happens: requests by the sequence, hub calls by
 * the JupyterHub client, spawns by the server service, passes by the
 * reconciler, peer failures where they are answered or checked.
 */
@injectable({scope: BindingScope.SINGLETON})
export class MetricsService {
  readonly registry = new Registry();
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly requestDuration: Histogram<'method' | 'route' | 'status'>;
  /** Label children by method, route and status: prom-client hashes a label object on every call, a string key is cheaper. */
  private readonly requestSeries = new Map<string, RequestSeries>();
  private readonly hubRequests: Counter<'operation' | 'outcome'>;
  private readonly hubDuration: Histogram<'operation'>;
  private readonly spawnDuration: Histogram<'outcome'>;
  private readonly reconcilePasses: Counter<'outcome'>;
  private readonly reconcileChanges: Counter;
  private readonly secretStoreErrors: Counter<'code'>;
  private readonly databaseErrors: Counter<'code'>;
  private readonly launchRefusals: Counter<'reason'>;
  private readonly serverCulls: Counter<'reason'>;

  constructor() {
    const registers = [this.registry];
    const counter = <L extends string>(name: string, help: string, labelNames: readonly L[] = []) =>
      new Counter<L>({name, help, labelNames, registers});
    const histogram = <L extends string>(name: string, help: string, labelNames: readonly L[], buckets: number[]) =>
      new Histogram<L>({name, help, labelNames, buckets, registers});
    collectDefaultMetrics({register: this.registry});
    this.requests = counter(
      'notebooks_hub_http_requests_total',
      'Requests answered, by method, route template and status',
      ['method', 'route', 'status'],
    );
    this.requestDuration = histogram(
      'notebooks_hub_http_request_duration_seconds',
      'Time from a request arriving to its answer being written, by method, route template and status',
      ['method', 'route', 'status'],
      [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.hubRequests = counter(
      'notebooks_hub_hub_requests_total',
      'Requests to JupyterHub by operation and outcome (ok, hub_error, unavailable, timeout)',
      ['operation', 'outcome'],
    );
    this.hubDuration = histogram(
      'notebooks_hub_hub_request_duration_seconds',
      'Time JupyterHub took to answer, by operation',
      ['operation'],
      [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    );
    this.spawnDuration = histogram(
      'notebooks_hub_spawn_duration_seconds',
      'Time from asking JupyterHub to start a server until it runs (outcome running), the start failed (failed) or a stop was asked (cancelled)',
      ['outcome'],
      [0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300, 600],
    );
    this.reconcilePasses = counter(
      'notebooks_hub_reconcile_passes_total',
      'Reconciliations of server statuses with JupyterHub, by outcome (ok, error)',
      ['outcome'],
    );
    this.reconcileChanges = counter('notebooks_hub_reconcile_changes_total', 'Server statuses the reconciler changed to match JupyterHub');
    this.secretStoreErrors = counter('notebooks_hub_secret_store_errors_total', 'Failures of the secret store, by error code', ['code']);
    this.databaseErrors = counter('notebooks_hub_database_errors_total', 'Failures of the database, by error code', ['code']);
    this.launchRefusals = counter(
      'notebooks_hub_launch_refusals_total',
      'Launch tickets the API refused to redeem, by reason (missing, unknown_or_used, expired, wrong_server, not_starting)',
      ['reason'],
    );
    // Every reason from 0, so an alert on the rate sees the first refusal.
    for (const reason of LAUNCH_REFUSALS) this.launchRefusals.inc({reason}, 0);
    this.serverCulls = counter(
      'notebooks_hub_server_culls_total',
      'Running servers the API stopped by itself, by reason (idle, lifetime)',
      ['reason'],
    );
    for (const reason of STOPPED_REASONS) this.serverCulls.inc({reason}, 0);
  }

  /** One answered request; `route` is its path template or UNMATCHED_ROUTE, never the raw path. */
  requestAnswered(method: string, route: string, status: number, seconds: number): void {
    const key = `${method} ${status} ${route}`;
    let series = this.requestSeries.get(key);
    if (!series) {
      const labels = {method, route, status: String(status)};
      series = {count: this.requests.labels(labels), duration: this.requestDuration.labels(labels)};
      this.requestSeries.set(key, series);
    }
    series.count.inc();
    series.duration.observe(seconds);
  }

  hubRequest(operation: string, outcome: HubOutcome, seconds: number): void {
    this.hubRequests.inc({operation, outcome});
    if (outcome !== 'unavailable') this.hubDuration.observe({operation}, seconds);
  }

  spawnEnded(outcome: 'running' | 'failed' | 'cancelled', seconds: number): void {
    this.spawnDuration.observe({outcome}, seconds);
  }

  reconciled(outcome: 'ok' | 'error', changed = 0): void {
    this.reconcilePasses.inc({outcome});
    if (changed > 0) this.reconcileChanges.inc(changed);
  }

  launchRefused(reason: LaunchRefusal): void {
    this.launchRefusals.inc({reason});
  }

  serverCulled(reason: StoppedReason): void {
    this.serverCulls.inc({reason});
  }

  /**
   * Counts an error if it is a failure of the secret store or the database:
   * by its peer error code, or, for a failed health check of either (whose
   * errors may come from a driver, without a code), as unavailable.
   */
  peerFailed(error: unknown, check?: string): void {
    const raw = (error as {code?: unknown} | undefined)?.code;
    const code = typeof raw === 'string' ? raw : '';
    if (code.startsWith('secret_store_')) this.secretStoreErrors.inc({code});
    else if (code.startsWith('database_')) this.databaseErrors.inc({code});
    else if (check === 'secretStore') this.secretStoreErrors.inc({code: 'secret_store_unavailable'});
    else if (check === 'database') this.databaseErrors.inc({code: 'database_unavailable'});
  }

  /** The Prometheus text exposition of every metric. */
  async exposition(): Promise<{contentType: string; text: string}> {
    return {contentType: this.registry.contentType, text: await this.registry.metrics()};
  }
}
