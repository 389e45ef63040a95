import {BindingScope, ContextView, filterByTag, inject, injectable, service} from '@loopback/core';
import {HealthBindings} from '../../keys';
import {LoggerService} from '../logger.service';
import {MetricsService} from '../observability/metrics.service';
import type {HealthCheck} from '../../types/health-check';

export interface CheckResult {
  status: 'pass' | 'fail';
  /** Left out, with the message and details, for non-admins (outcomesOnly). */
  durationMs?: number;
  message?: string;
  [detail: string]: unknown;
}

export interface HealthReport {
  status: 'pass' | 'fail';
  checks: Record<string, CheckResult>;
}

const CHECK_TIMEOUT_MS = 5000;

/**
 * The report as a non-admin sees it: each check's name and outcome. A
 * failure's message and a check's details may name server paths, hosts or
 * versions, which are for the people who run the API.
 */
export function outcomesOnly(report: HealthReport): HealthReport {
  const checks: HealthReport['checks'] = {};
  for (const [name, result] of Object.entries(report.checks)) {
    checks[name] = {status: result.status};
  }
  return {status: report.status, checks};
}

/**
 * Runs every check bound with HealthBindings.CHECK_TAG, in parallel and each
 * within a time limit. Features add their dependency (the hub, the secret
 * store, a folder) by binding one more check.
 */
@injectable({scope: BindingScope.SINGLETON})
export class HealthService {
  /**
   * The last outcome of each check, so that the log tells when one starts
   * failing (with why) and when it passes again, once each, not at every
   * probe: probes answer outcomes alone, and the operator reads why here.
   */
  private readonly lastOutcome = new Map<string, CheckResult['status']>();

  constructor(
    @inject.view(filterByTag(HealthBindings.CHECK_TAG))
    private readonly checks: ContextView<HealthCheck>,
    @service(MetricsService) private readonly metrics: MetricsService,
    @inject('services.LoggerService') private readonly logger: LoggerService,
  ) {}

  /** Runs the registered checks and `extra` ones for this request. */
  async report(extra: HealthCheck[] = []): Promise<HealthReport> {
    return this.run(await this.checks.values(), extra);
  }

  /** Runs only what this process needs to serve: the registered checks but the peers'. */
  async readiness(): Promise<HealthReport> {
    return this.run((await this.checks.values()).filter(check => !check.peer));
  }

  private async run(registered: HealthCheck[], extra: HealthCheck[] = []): Promise<HealthReport> {
    const checks = [...registered, ...extra];
    const results = await Promise.all(checks.map(check => runCheck(check, (err: unknown) => this.metrics.peerFailed(err, check.name))));
    const report: HealthReport = {status: 'pass', checks: {}};
    checks.forEach((check, i) => {
      report.checks[check.name] = results[i];
      if (results[i].status === 'fail') report.status = 'fail';
    });
    for (const check of registered) this.logChange(check.name, report.checks[check.name]);
    return report;
  }

  /** Registered checks only: a person's home (an extra check) is that request's business. */
  private logChange(name: string, result: CheckResult): void {
    const before = this.lastOutcome.get(name);
    this.lastOutcome.set(name, result.status);
    if (result.status === 'fail' && before !== 'fail') this.logger.warn('health check failing', {check: name, reason: result.message});
    else if (result.status === 'pass' && before === 'fail') this.logger.info('health check passing again', {check: name});
  }
}

async function runCheck(check: HealthCheck, failed: (err: unknown) => void): Promise<CheckResult> {
  const started = process.hrtime.bigint();
  const elapsed = () => Number((process.hrtime.bigint() - started) / 1_000_000n);
  let timer: NodeJS.Timeout | undefined;
  try {
    const details = await Promise.race([
      check.check(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`no answer within ${CHECK_TIMEOUT_MS} ms`)),
          CHECK_TIMEOUT_MS,
        );
      }),
    ]);
    return {...details, status: 'pass', durationMs: elapsed()};
  } catch (err) {
    failed(err);
    return {status: 'fail', durationMs: elapsed(), message: (err as Error).message};
  } finally {
    clearTimeout(timer);
  }
}
