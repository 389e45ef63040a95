import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, oas} from '@loopback/rest';
import {AppBindings} from '../keys';
import {JupyterHubService} from '../services/hub/jupyterhub.service';
import {jsonResponse} from '../kinds/json-spec.helpers';

@authenticate.skip()
@oas.tags('Health')
@injectable({scope: BindingScope.SINGLETON})
export class VersionController {
  constructor(
    @inject(AppBindings.PACKAGE)
    private readonly pkg: {name: string; version: string},
    @service(JupyterHubService) private readonly hub: JupyterHubService,
  ) {}

  @get('/version', {operationId: 'getVersion', summary: 'Get the API\'s name and version', ...jsonResponse('The API version and the hub\'s as last seen, refreshed in the background at most once a minute (null when no hub is configured or it has not answered yet)', {
      title: 'Version',
      type: 'object',
      required: ['name', 'version', 'hubVersion'],
      properties: {name: {type: 'string'}, version: {type: 'string'}, hubVersion: {type: 'string', nullable: true}},
    }, {name: 'notebooks-hub-api', version: '0.1.0', hubVersion: '5.3.0'})})
  version(): {name: string; version: string; hubVersion: string | null} {
    const hubVersion = this.hub.configured ? (this.hub.knownVersion() ?? null) : null;
    return {name: this.pkg.name, version: this.pkg.version, hubVersion};
  }
}
