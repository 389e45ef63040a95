import {inject, injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec} from '@loopback/rest';
import type {AppConfig} from '../config';
import {AppBindings} from '../keys';

/**
 * The served document names PUBLIC_URL as its server, whatever the request's
 * Host or X-Forwarded-Host say: taken from the request, a forged header
 * would make the explorer send the visitor's token to another host.
 */
@injectable(asSpecEnhancer)
export class ServersSpecEnhancer implements OASEnhancer {
  readonly name = 'servers';

  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    return {...spec, servers: [{url: this.config.publicUrl}]};
  }
}
