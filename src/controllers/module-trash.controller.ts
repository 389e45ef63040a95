import {MODULE_DESCRIPTOR} from '../descriptors/module.descriptor';
import {Module} from '../models/module.model';
import {ModuleService} from '../services/files/module.service';
import {MODULE_ANSWER} from './answer-examples';
import {defineTrashController} from './define-trash-controller';

export class ModuleTrashController extends defineTrashController(MODULE_DESCRIPTOR, Module, ModuleService, MODULE_ANSWER) {}
