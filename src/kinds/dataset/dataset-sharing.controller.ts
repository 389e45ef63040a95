import {DATASET_DESCRIPTOR} from './dataset.descriptor';
import {defineSharingController} from '../define-sharing-controller';

export class DatasetSharingController extends defineSharingController(DATASET_DESCRIPTOR) {}
