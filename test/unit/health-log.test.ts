import {Context, ContextView, filterByTag} from '@loopback/core';
import {expect} from '@loopback/testlab';
import {HealthBindings} from '../../src/keys';
import {HealthService} from '../../src/services/health/health.service';
import type {HealthCheck} from '../../src/types/health-check';
import {LoggerService} from '../../src/services/logger.service';
import {MetricsService} from '../../src/services/observability/metrics.service';

describe('Health checks in the log', () => {
  let failing: boolean;
  let lines: {level: string; message: string; check?: string; reason?: string}[];
  let health: HealthService;

  beforeEach(() => {
    failing = false;
    lines = [];
    const context = new Context();
    const store: HealthCheck = {
      name: 'database',
      check: async () => {
        if (failing) throw new Error('connection refused');
      },
    };
    context.bind('checks.database').to(store).tag(HealthBindings.CHECK_TAG);
    const logger = new LoggerService({logLevel: 'info'});
    logger.useSink(line => lines.push(JSON.parse(line)));
    health = new HealthService(new ContextView<HealthCheck>(context, filterByTag(HealthBindings.CHECK_TAG)), new MetricsService(), logger);
  });

  it('names a check that starts failing and why, once, and says when it passes again', async () => {
    await health.readiness();
    failing = true;
    await health.readiness();
    await health.readiness();
    await health.report();
    failing = false;
    await health.readiness();
    await health.readiness();

    expect(lines.map(({level, message, check, reason}) => ({level, message, check, reason}))).to.deepEqual([
      {level: 'warn', message: 'health check failing', check: 'database', reason: 'connection refused'},
      {level: 'info', message: 'health check passing again', check: 'database', reason: undefined},
    ]);
  });

  it("leaves a request's own checks (a person's home) out of the log", async () => {
    const report = await health.report([{name: 'home', check: async () => Promise.reject(new Error('no such folder'))}]);
    expect(report.checks.home.status).to.equal('fail');
    expect(lines).to.deepEqual([]);
  });
});
