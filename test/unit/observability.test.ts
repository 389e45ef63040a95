import {expect} from '@loopback/testlab';
import {loadConfig} from '../../src/config';
import {LoggerService} from '../../src/services/logger.service';
import {MetricsService} from '../../src/services/observability/metrics.service';
import {currentRequestScope, requestIdFrom, runInRequestScope, userHash} from '../../src/utils/request-scope.util';

describe('request scope (request ids and the caller in log lines)', () => {
  it('keeps a sane request id and makes a new one for anything else', () => {
    expect(requestIdFrom('abc-123_X.y:z')).to.equal('abc-123_X.y:z');
    expect(requestIdFrom('a'.repeat(128))).to.equal('a'.repeat(128));
    for (const unsafe of [undefined, '', 'a'.repeat(129), 'two words', 'new\nline', '{"json":1}', ['a', 'b']]) {
      expect(requestIdFrom(unsafe)).to.match(/^[0-9a-f-]{36}$/);
    }
  });

  it('hashes the email, whatever its case, to 16 hex digits', () => {
    expect(userHash('Alice@Example.org')).to.equal(userHash('alice@example.org'));
    expect(userHash('alice@example.org')).to.match(/^[0-9a-f]{16}$/);
    expect(userHash('alice@example.org')).to.not.equal(userHash('bob@example.org'));
  });

  it('carries the scope across awaits, and the logger writes it into every line', async () => {
    const lines: string[] = [];
    const logger = new LoggerService({logLevel: 'info'});
    logger.useSink(line => lines.push(line));
    await runInRequestScope({requestId: 'r-1', user: 'abcdef0123456789'}, async () => {
      await new Promise(resolve => setTimeout(resolve, 1));
      expect(currentRequestScope()?.requestId).to.equal('r-1');
      logger.info('inside', {detail: 1});
    });
    logger.info('outside');
    expect(lines.map(line => JSON.parse(line))).to.containDeep([
      {message: 'inside', requestId: 'r-1', user: 'abcdef0123456789', detail: 1},
      {message: 'outside'},
    ]);
    expect(JSON.parse(lines[1])).to.not.have.property('requestId');
  });
});

describe('MetricsService', () => {
  it('keeps its series in a registry of its own, so two applications do not collide', async () => {
    const first = new MetricsService();
    const second = new MetricsService();
    first.requestAnswered('GET', '/version', 200, 0.01);
    expect((await first.exposition()).text).to.match(/notebooks_hub_http_requests_total\{method="GET",route="\/version",status="200"\} 1/);
    expect((await second.exposition()).text).to.not.match(/route="\/version"/);
  });

  it('counts secret store and database failures by code, and nothing else', async () => {
    const metrics = new MetricsService();
    metrics.peerFailed({code: 'secret_store_timeout'});
    metrics.peerFailed({code: 'database_unavailable'});
    metrics.peerFailed({code: 'hub_error'});
    metrics.peerFailed(new Error('driver failure'), 'database');
    const {text} = await metrics.exposition();
    expect(text).to.match(/notebooks_hub_secret_store_errors_total\{code="secret_store_timeout"\} 1/);
    expect(text).to.match(/notebooks_hub_database_errors_total\{code="database_unavailable"\} 2/);
    expect(text).to.not.match(/code="hub_error"/);
  });
});

describe('Launch refusals', () => {
  it('are counted by reason, every reason shown from 0', async () => {
    const metrics = new MetricsService();
    metrics.launchRefused('expired');
    const {text} = await metrics.exposition();
    expect(text).to.match(/notebooks_hub_launch_refusals_total\{reason="expired"\} 1/);
    for (const reason of ['missing', 'unknown_or_used', 'wrong_server', 'not_starting']) {
      expect(text).to.match(new RegExp(`notebooks_hub_launch_refusals_total\\{reason="${reason}"\\} 0`));
    }
  });
});

describe('METRICS_TOKEN', () => {
  it('is optional, and refused when shorter than 16 characters', () => {
    expect(loadConfig({}).metricsToken).to.be.undefined();
    expect(loadConfig({METRICS_TOKEN: 'x'.repeat(16)}).metricsToken).to.equal('x'.repeat(16));
    expect(() => loadConfig({METRICS_TOKEN: 'short'})).to.throw(/METRICS_TOKEN must be at least 16 characters/);
  });
});
