import {MODULE_DESCRIPTOR} from '../descriptors/module.descriptor';
import {Module} from '../models/module.model';
import {ModuleService} from '../services/files/module.service';
import {defineTrashController} from './define-trash-controller';

export class ModuleTrashController extends defineTrashController(MODULE_DESCRIPTOR, Module, ModuleService) {}
