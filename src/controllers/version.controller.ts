import {authenticate} from '@loopback/authentication';
import {inject} from '@loopback/core';
import {get} from '@loopback/rest';
import {AppBindings} from '../keys';
import {jsonResponse} from './json-spec.helpers';

@authenticate.skip()
export class VersionController {
  constructor(
    @inject(AppBindings.PACKAGE)
    private readonly pkg: {name: string; version: string},
  ) {}

  @get(
    '/version',
    jsonResponse('The API version', {
      type: 'object',
      required: ['name', 'version'],
      properties: {name: {type: 'string'}, version: {type: 'string'}},
    }),
  )
  version(): {name: string; version: string} {
    return {name: this.pkg.name, version: this.pkg.version};
  }
}
