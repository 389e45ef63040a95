import {inject, service} from '@loopback/core';
import {get, Response, RestBindings} from '@loopback/rest';
import {HealthReport, HealthService} from '../services/health.service';

const CHECK_SCHEMA = {
  type: 'object',
  required: ['status', 'durationMs'],
  properties: {
    status: {type: 'string', enum: ['pass', 'fail']},
    durationMs: {type: 'number'},
    message: {type: 'string', description: 'Why the check failed'},
  },
  additionalProperties: true,
};

const REPORT_SCHEMA = {
  type: 'object',
  required: ['status', 'checks'],
  properties: {
    status: {type: 'string', enum: ['pass', 'fail']},
    checks: {type: 'object', additionalProperties: CHECK_SCHEMA},
  },
};

export class HealthController {
  constructor(@service(HealthService) private readonly health: HealthService) {}

  @get('/healthcheck', {
    description: 'Checks the database and the folders the API writes to.',
    responses: {
      '200': {description: 'Every check passed', content: {'application/json': {schema: REPORT_SCHEMA}}},
      '503': {description: 'At least one check failed; each failed check says why', content: {'application/json': {schema: REPORT_SCHEMA}}},
    },
  })
  async healthcheck(
    @inject(RestBindings.Http.RESPONSE) response: Response,
  ): Promise<HealthReport> {
    const report = await this.health.report();
    response.status(report.status === 'pass' ? 200 : 503);
    return report;
  }
}
