import {MODULE_DESCRIPTOR} from './module.descriptor';
import {Module} from './module.model';
import {ModuleService} from './module.service';
import {MODULE_ANSWER} from '../answer-examples';
import {defineOwnedResourceController} from '../define-owned-resource-controller';

export class ModuleController extends defineOwnedResourceController(MODULE_DESCRIPTOR, Module, ModuleService, {
  list: 'Modules the caller may read, featured ones included',
  create:
    'Creates an empty binaries folder and the Lmod modulefile {owner}/{name}/{version}.lua generated from luaModuleFile. `featured` is for admins.',
  update: 'The updated module; its modulefile is regenerated',
  remove: 'Moves the binaries and the modulefile to the trash; an admin can restore them until they are purged.',
  examples: {
    create: {
      name: 'lab-tools',
      version: '1.0',
      description: 'The lab\'s scripts on PATH',
      luaModuleFile: [{id: 'setenv', arguments: ['LAB_TOOLS_THREADS', '4']}],
    },
    update: {description: 'The lab\'s scripts and their settings'},
    answer: MODULE_ANSWER,
  },
}) {}
