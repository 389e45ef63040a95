import {MODULE_DESCRIPTOR} from './module.descriptor';
import {defineSharingController} from '../define-sharing-controller';

export class ModuleSharingController extends defineSharingController(MODULE_DESCRIPTOR) {}
