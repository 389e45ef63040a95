import {JupyterHubService} from './jupyterhub.service';
import type {HealthCheck} from '../../types/health-check';

/** The hub answers its API with a version. */
export class HubHealthCheck implements HealthCheck {
  readonly name = 'jupyterhub';
  readonly peer = true;

  constructor(private readonly hub: JupyterHubService) {}

  async check(): Promise<Record<string, unknown>> {
    return {version: await this.hub.version()};
  }
}
