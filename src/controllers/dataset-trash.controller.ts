import {DATASET_DESCRIPTOR} from '../descriptors/dataset.descriptor';
import {Dataset} from '../models/dataset.model';
import {DatasetService} from '../services/files/dataset.service';
import {DATASET_ANSWER} from './answer-examples';
import {defineTrashController} from './define-trash-controller';

export class DatasetTrashController extends defineTrashController(DATASET_DESCRIPTOR, Dataset, DatasetService, DATASET_ANSWER) {}
