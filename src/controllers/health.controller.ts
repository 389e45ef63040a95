import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas, param, Response, RestBindings, SchemaObject} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {requireSelfOrAdmin} from '../authorization/access-requirement';
import {FolderHealthCheck} from '../services/files/folder-health-check.service';
import {HealthReport, HealthService, outcomesOnly} from '../services/health/health.service';
import {HubUserService} from '../services/hub/hub-user.service';
import {Caller, IdentityService} from '../services/identity/identity.service';
import {normaliseEmail} from '../validation';
import {jsonAnswer} from '../kinds/json-spec.helpers';

const CHECK_SCHEMA: SchemaObject = {
  type: 'object',
  required: ['status'],
  description: 'For admins, the duration, the details and why a check failed; for others, the outcome alone.',
  properties: {
    status: {type: 'string', enum: ['pass', 'fail']},
    durationMs: {type: 'number', description: 'Admins only'},
    message: {type: 'string', description: 'Why the check failed (admins only)'},
  },
  additionalProperties: true,
};

/** What a probe answers: the outcome alone, since anyone may ask. */
const PROBE_SCHEMA: SchemaObject = {
  title: 'ProbeOutcome',
  type: 'object',
  required: ['status'],
  additionalProperties: false,
  properties: {status: {type: 'string', enum: ['pass', 'fail']}},
};

const REPORT_SCHEMA: SchemaObject = {
  title: 'HealthReport',
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

  @authenticate.skip()
  @get('/health/live', {
    operationId: 'checkLiveness',
    summary: 'Liveness probe: the process answers',
    description: 'For orchestrators (no token): 200 while the process serves requests; it checks nothing else, so a slow peer never restarts the API.',
    responses: {'200': jsonAnswer('The process is up', PROBE_SCHEMA, {status: 'pass'})},
  })
  live(): {status: 'pass'} {
    return {status: 'pass'};
  }

  @authenticate.skip()
  @get('/health/ready', {
    operationId: 'checkReadiness',
    summary: 'Readiness probe: the database, the secret store and the folders answer',
    description:
      'For orchestrators (no token): runs the checks of GET /healthcheck but the peers\' (JupyterHub), since a peer that is down ' +
      'does not stop this process serving datasets, files and secrets, and answers only their outcome; which check failed is for ' +
      'signed-in callers (GET /healthcheck) and the log.',
    responses: {
      '200': jsonAnswer('Ready: every check passed', PROBE_SCHEMA, {status: 'pass'}),
      '503': {description: 'Not ready: at least one check failed', content: {'application/json': {schema: PROBE_SCHEMA}}},
    },
  })
  async ready(@inject(RestBindings.Http.RESPONSE) response: Response): Promise<{status: 'pass' | 'fail'}> {
    const {status} = await this.health.readiness();
    response.status(status === 'pass' ? 200 : 503);
    return {status};
  }

  @requireSelfOrAdmin()
  @get('/healthcheck', {operationId: 'checkHealth', summary: 'Check the database, the hub and the folders', description: 'Checks the database, JupyterHub (when configured) and the folders the API writes to; with `email`, also that person\'s home folder (yours, or anyone\'s for admins). Admins see each check\'s details and why it failed; others see each check\'s outcome alone.',
    responses: {
      '200': jsonAnswer('Every check passed', REPORT_SCHEMA, {
        status: 'pass',
        checks: Object.fromEntries(
          ['secretStore', 'database', 'dataDir', 'datasetsRoot', 'modulesRoot', 'homesRoot', 'jupyterhub'].map(check => [check, {status: 'pass'}]),
        ),
      }),
      '503': {description: 'At least one check failed; to admins, each failed check says why', content: {'application/json': {schema: REPORT_SCHEMA}}},
    },
  })
  async healthcheck(
    @inject(SecurityBindings.USER) caller: Caller,
    @inject(RestBindings.Http.RESPONSE) response: Response,
    @param.query.string('email') email?: string,
  ): Promise<HealthReport> {
    const person = email === undefined ? undefined : normaliseEmail(email);
    const home = person && this.hubUsers.home(this.identity.hubUsername(person));
    const report = await this.health.report(home ? [new FolderHealthCheck('home', home)] : []);
    response.status(report.status === 'pass' ? 200 : 503);
    return caller.admin ? report : outcomesOnly(report);
  }
}
