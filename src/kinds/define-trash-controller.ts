import {BindingScope, Constructor, injectable, service} from '@loopback/core';
import {Entity} from '@loopback/repository';
import {get, getModelSchemaRef, oas, param, post, SchemaObject} from '@loopback/rest';
import {requireAdmin} from '../authorization/access-requirement';
import {namesOf, ResourceDescriptor} from '../types/resource-descriptor';
import {trashed} from './answer-examples';
import {jsonResponse} from './json-spec.helpers';

/** A kind's service whose deletes go to a trash that admins can list and restore from. */
export interface Trash<T extends Entity> {
  listTrash(): Promise<T[]>;
  restore(id: string): Promise<T>;
}

/**
 * The admins' trash routes of one kind, beside its collection: what is in
 * the trash, oldest first, and restoring one. Each trashable kind's trash
 * controller is this class.
 */
export function defineTrashController<T extends Entity & {deletedAt?: Date}>(
  descriptor: ResourceDescriptor,
  model: typeof Entity & {prototype: T},
  trashService: Constructor<Trash<T>>,
  /** A resource of the kind as answered. */
  example: object,
) {
  const {kind, basePath} = descriptor;
  const {tag, singular} = namesOf(descriptor);
  const trashedList: SchemaObject = {type: 'array', items: getModelSchemaRef(model, {title: `Trashed${model.modelName}`})};
  const restored = getModelSchemaRef(model, {title: model.modelName, exclude: ['deletedAt']});

  @oas.tags(tag)
  @injectable({scope: BindingScope.SINGLETON})
  class TrashController {
    constructor(@service(trashService) public readonly trash: Trash<T>) {}

    @requireAdmin()
    @get(`${basePath}/trash`, {
      operationId: `list${singular}Trash`,
      summary: `List the ${kind}s in the trash (admins)`,
      ...jsonResponse(`What is in the ${kind} trash, oldest first (admins)`, trashedList, [trashed(example)]),
    })
    listTrash(): Promise<T[]> {
      return this.trash.listTrash();
    }

    @requireAdmin()
    @post(`${basePath}/{id}/restore`, {
      operationId: `restore${singular}`,
      summary: `Restore a ${kind} from the trash (admins)`,
      ...jsonResponse(`The ${kind}, back from the trash with its files (admins)`, restored, example),
    })
    restore(@param.path.string('id') id: string): Promise<T> {
      return this.trash.restore(id);
    }
  }
  return TrashController;
}
