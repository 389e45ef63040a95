import {service} from '@loopback/core';
import {get} from '@loopback/rest';
import {HardwareService} from '../services/hardware.service';
import {LUA_FUNCTIONS, LuaFunction} from '../services/lua-modulefile.service';
import {jsonResponse} from './json-spec.helpers';

export class VolumeController {
  constructor(@service(HardwareService) private readonly hardware: HardwareService) {}

  @get(
    '/volume/hardware',
    jsonResponse('The hardware options a template may name (HARDWARE_FILE)', {type: 'array', items: {type: 'string'}}),
  )
  hardwareOptions(): Promise<string[]> {
    return this.hardware.names();
  }

  @get(
    '/volume/lua',
    jsonResponse('The functions a modulefile may call (luaModuleFile[].id) and their arguments', {
      type: 'array',
      items: {
        type: 'object',
        required: ['id', 'description', 'arguments', 'minArguments', 'maxArguments'],
        properties: {
          id: {type: 'string'},
          description: {type: 'string'},
          minArguments: {type: 'integer'},
          maxArguments: {type: 'integer', description: 'The last argument repeats up to this count'},
          arguments: {
            type: 'array',
            items: {
              type: 'object',
              properties: {name: {type: 'string'}, description: {type: 'string'}, pattern: {type: 'string'}},
            },
          },
        },
      },
    }),
  )
  lua(): readonly LuaFunction[] {
    return LUA_FUNCTIONS;
  }
}
