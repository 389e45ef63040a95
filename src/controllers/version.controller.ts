import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas} from '@loopback/rest';
import {AppBindings} from '../keys';
import {JupyterHubService} from '../services/hub/jupyterhub.service';
import {jsonResponse} from './json-spec.helpers';

@authenticate.skip()
@oas.tags('Health')
@injectable({scope: BindingScope.SINGLETON})
export class VersionController {
  constructor(
    @inject(AppBindings.PACKAGE)
    private readonly pkg: {name: string; version: string},
    @service(JupyterHubService) private readonly hub: JupyterHubService,
  ) {}

  @get('/version', {operationId: 'getVersion', summary: 'Get the API\'s name and version', ...jsonResponse('The API version and the hub\'s (null when no hub is configured or it does not answer)', {
      type: 'object',
      required: ['name', 'version', 'hubVersion'],
      properties: {name: {type: 'string'}, version: {type: 'string'}, hubVersion: {type: 'string', nullable: true}},
    })})
  async version(): Promise<{name: string; version: string; hubVersion: string | null}> {
    const hubVersion = this.hub.configured ? await this.hub.recentVersion().catch(() => null) : null;
    return {name: this.pkg.name, version: this.pkg.version, hubVersion};
  }
}
