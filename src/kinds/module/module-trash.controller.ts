import {MODULE_DESCRIPTOR} from './module.descriptor';
import {Module} from './module.model';
import {ModuleService} from './module.service';
import {MODULE_ANSWER} from '../answer-examples';
import {defineTrashController} from '../define-trash-controller';

export class ModuleTrashController extends defineTrashController(MODULE_DESCRIPTOR, Module, ModuleService, MODULE_ANSWER) {}
