import {DATASET_DESCRIPTOR} from './dataset/dataset.descriptor';
import {GROUP_DESCRIPTOR} from './group/group.descriptor';
import {MODULE_DESCRIPTOR} from './module/module.descriptor';
import {SECRET_DESCRIPTOR} from './secret/secret.descriptor';
import {SERVER_DESCRIPTOR} from './server/server.descriptor';
import {TEMPLATE_DESCRIPTOR} from './template/template.descriptor';

/**
 * The kinds the application registers, in the order the explorer shows
 * their tags; a new kind is a folder beside these and its descriptor here.
 */
export const RESOURCE_DESCRIPTORS = [
  TEMPLATE_DESCRIPTOR,
  SERVER_DESCRIPTOR,
  DATASET_DESCRIPTOR,
  MODULE_DESCRIPTOR,
  SECRET_DESCRIPTOR,
  GROUP_DESCRIPTOR,
];
