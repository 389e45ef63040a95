import {juggler} from '@loopback/repository';
import {expect, stubExpressContext} from '@loopback/testlab';
import {JsonRejectProvider} from '../../src/providers/json-reject.provider';
import {UserRepository} from '../../src/repositories/user.repository';
import {LoggerService} from '../../src/services/logger.service';
import {MetricsService} from '../../src/services/observability/metrics.service';
import {freePort} from '../fixtures/free-port';

/**
 * A MongoDB that cannot be reached, met during a request: the real
 * connector and driver against a closed port (no MongoDB server runs here,
 * and none is needed for this).
 */
describe('A request that meets an unreachable MongoDB', () => {
  let dataSource: juggler.DataSource;

  before(async () => {
    const port = await freePort();
    dataSource = new juggler.DataSource({
      name: 'db',
      connector: 'mongodb',
      url: `mongodb://127.0.0.1:${port}/notebooks_hub?serverSelectionTimeoutMS=300&connectTimeoutMS=300`,
      lazyConnect: true,
    });
    dataSource.on('error', () => {});
  });

  after(async () => {
    await dataSource.disconnect().catch(() => undefined);
  });

  it('is answered 503 database_unavailable, naming no host, logged and counted as a database error', async () => {
    const driverError = await new UserRepository(dataSource as never).find().then(
      () => undefined,
      (err: Error) => err,
    );
    expect(driverError?.name).to.match(/^Mongo/);

    const lines: string[] = [];
    const logger = new LoggerService({logLevel: 'info'});
    logger.useSink(line => lines.push(line));
    const metrics = new MetricsService();
    const reject = JsonRejectProvider.value(logger, metrics);
    const context = stubExpressContext({url: '/datasets', method: 'GET'});
    reject(context, driverError!);
    const answer = await context.result;

    expect(answer.statusCode).to.equal(503);
    const body = JSON.parse(answer.payload);
    expect(body.error.code).to.equal('database_unavailable');
    expect(body.error.message).to.not.match(/127\.0\.0\.1/);
    expect(lines.map(line => JSON.parse(line).message)).to.containEql('database unreachable');
    expect((await metrics.exposition()).text).to.match(/notebooks_hub_database_errors_total\{code="database_unavailable"\} 1/);
  });
});
