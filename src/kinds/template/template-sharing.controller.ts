import {TEMPLATE_DESCRIPTOR} from './template.descriptor';
import {defineSharingController} from '../define-sharing-controller';

export class TemplateSharingController extends defineSharingController(TEMPLATE_DESCRIPTOR) {}
