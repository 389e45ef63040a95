import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas, param, Response, RestBindings} from '@loopback/rest';
import {requireSelfOrAdmin} from '../authorization/access-requirement';
import {FolderHealthCheck} from '../services/files/folder-health-check.service';
import {HealthReport, HealthService} from '../services/health/health.service';
import {HubUserService} from '../services/hub/hub-user.service';
import {IdentityService} from '../services/identity/identity.service';
import {normaliseEmail} from '../validation';

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

@oas.tags('Health')
@injectable({scope: BindingScope.SINGLETON})
export class HealthController {
  constructor(
    @service(HealthService) private readonly health: HealthService,
    @service(HubUserService) private readonly hubUsers: HubUserService,
    @service(IdentityService) private readonly identity: IdentityService,
  ) {}

  @requireSelfOrAdmin()
  @get('/healthcheck', {operationId: 'checkHealth', summary: 'Check the database, the hub and the folders', description: 'Checks the database, JupyterHub (when configured) and the folders the API writes to; with `email`, also that person\'s home folder (yours, or anyone\'s for admins).',
    responses: {
      '200': {description: 'Every check passed', content: {'application/json': {schema: REPORT_SCHEMA}}},
      '503': {description: 'At least one check failed; each failed check says why', content: {'application/json': {schema: REPORT_SCHEMA}}},
    },
  })
  async healthcheck(
    @inject(RestBindings.Http.RESPONSE) response: Response,
    @param.query.string('email') email?: string,
  ): Promise<HealthReport> {
    const person = email === undefined ? undefined : normaliseEmail(email);
    const home = person && this.hubUsers.home(this.identity.hubUsername(person));
    const report = await this.health.report(home ? [new FolderHealthCheck('home', home)] : []);
    response.status(report.status === 'pass' ? 200 : 503);
    return report;
  }
}
