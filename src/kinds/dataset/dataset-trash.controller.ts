import {DATASET_DESCRIPTOR} from './dataset.descriptor';
import {Dataset} from './dataset.model';
import {DatasetService} from './dataset.service';
import {DATASET_ANSWER} from '../answer-examples';
import {defineTrashController} from '../define-trash-controller';

export class DatasetTrashController extends defineTrashController(DATASET_DESCRIPTOR, Dataset, DatasetService, DATASET_ANSWER) {}
