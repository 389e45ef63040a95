import {SECRET_DESCRIPTOR} from './secret.descriptor';
import {defineSharingController} from '../define-sharing-controller';

export class SecretSharingController extends defineSharingController(SECRET_DESCRIPTOR) {}
