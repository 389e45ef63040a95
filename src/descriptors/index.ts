import {DATASET_DESCRIPTOR} from './dataset.descriptor';
import {GROUP_DESCRIPTOR} from './group.descriptor';
import {MODULE_DESCRIPTOR} from './module.descriptor';
import {SECRET_DESCRIPTOR} from './secret.descriptor';
import {SERVER_DESCRIPTOR} from './server.descriptor';
import {TEMPLATE_DESCRIPTOR} from './template.descriptor';

export * from './resource-descriptor';

/** The kinds the application registers; a new kind adds its descriptor here. */
export const RESOURCE_DESCRIPTORS = [
  DATASET_DESCRIPTOR,
  MODULE_DESCRIPTOR,
  TEMPLATE_DESCRIPTOR,
  SECRET_DESCRIPTOR,
  SERVER_DESCRIPTOR,
  GROUP_DESCRIPTOR,
];
