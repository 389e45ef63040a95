import {SECRET_DESCRIPTOR} from '../descriptors/secret.descriptor';
import {defineSharingController} from './define-sharing-controller';

export class SecretSharingController extends defineSharingController(SECRET_DESCRIPTOR) {}
