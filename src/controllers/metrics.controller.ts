import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable} from '@loopback/core';
import {get, HttpErrors, oas, Request, Response, RestBindings} from '@loopback/rest';
import {createHash, timingSafeEqual} from 'node:crypto';
import type {AppConfig} from '../config';
import {errorResponseRef} from '../enhancers/error-responses.spec-enhancer';
import {AppBindings} from '../keys';
import type {MetricsService} from '../services/observability/metrics.service';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Prometheus' scrape target. Not behind sign-in (a scraper has no person's
 * token): with METRICS_TOKEN set it asks for that token, else it is open,
 * and then belongs off the public Ingress.
 */
@oas.tags('Health')
@injectable({scope: BindingScope.SINGLETON})
export class MetricsController {
  private readonly expected?: Buffer;

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @inject('services.MetricsService') private readonly metrics: MetricsService,
  ) {
    this.expected = config.metricsToken === undefined ? undefined : digest(config.metricsToken);
  }

  @authenticate.skip()
  @get('/metrics', {
    operationId: 'getMetrics',
    summary: 'Prometheus metrics of this process',
    description:
      'Requests by route template and status, JupyterHub calls by outcome, spawn durations, reconciliations, secret store and ' +
      'database errors, and the process (Prometheus text format). With METRICS_TOKEN set, send it as `Authorization: Bearer`; ' +
      'without it the route is open.',
    responses: {
      '200': {description: 'The metrics', content: {'text/plain': {schema: {type: 'string'}}}},
      '401': errorResponseRef(401),
    },
  })
  async scrape(
    @inject(RestBindings.Http.REQUEST) request: Request,
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<string> {
    if (this.expected) {
      const match = /^Bearer\s+(\S+)$/i.exec(request.headers.authorization?.trim() ?? '');
      // Digests compare in constant time whatever the lengths.
      if (!match || !timingSafeEqual(digest(match[1]), this.expected)) {
        throw Object.assign(new HttpErrors.Unauthorized('GET /metrics needs METRICS_TOKEN as a bearer token'), {
          headers: {'WWW-Authenticate': 'Bearer realm="metrics"'},
        });
      }
    }
    const {contentType, text} = await this.metrics.exposition();
    response.setHeader('Content-Type', contentType);
    return text;
  }
}
