import {BindingScope, injectable, service} from '@loopback/core';
import {Entity} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import type {ShareableKind} from '../../models/grant.model';
import type {PlainCrudRepository} from '../../repositories/plain-crud.repository';
import {SharingService} from '../access/sharing.service';
import {FileSystemService} from './file-system.service';

type Trashable = Entity & {_id?: string; deletedAt?: Date};

/** What the trash needs of a kind whose deletes keep its files in `{root}/.trash/{id}`. */
export interface TrashableKind<T extends Trashable> {
  kind: ShareableKind;
  repository: PlainCrudRepository<T, string>;
  /** The folder the kind's files and its `.trash` are in. */
  root: string;
  /** Moves a record's files from the trash back to where they live. */
  filesBack(record: T): Promise<void>;
}

/**
 * The record side of the trash for every trashable kind (datasets,
 * modules): what is in it, restoring, and purging what waited longer than
 * the retention. A restore puts the record back first, so a unique key
 * taken meanwhile refuses it (409) before any file moves, and sends it back
 * to the trash if the files cannot follow.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ResourceTrashService {
  constructor(
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(SharingService) private readonly sharing: SharingService,
  ) {}

  list<T extends Trashable>({repository}: TrashableKind<T>): Promise<T[]> {
    return repository.find({where: {deletedAt: {gt: new Date(0)}}, order: ['deletedAt ASC']} as object);
  }

  async restore<T extends Trashable>(trashable: TrashableKind<T>, id: string): Promise<T> {
    const {kind, repository} = trashable;
    const record = await repository.findById(id);
    if (!record.deletedAt) throw new HttpErrors.Conflict(`${kind.charAt(0).toUpperCase()}${kind.slice(1)} ${id} is not in the trash`);
    const live = record.toJSON() as Partial<T>;
    delete live.deletedAt;
    await repository.replaceById(id, live);
    try {
      await trashable.filesBack(record);
    } catch (err) {
      await repository.replaceById(id, record);
      throw err;
    }
    return repository.findById(id);
  }

  /** Deletes for good, with its grants, what went to the trash before `cutoff`; answers how many. */
  async purgeBefore<T extends Trashable>({kind, repository, root}: TrashableKind<T>, cutoff: Date): Promise<number> {
    const expired = await repository.find({where: {deletedAt: {between: [new Date(0), cutoff]}}} as object);
    for (const record of expired) {
      await this.files.purgeFromTrash(root, record._id!);
      await this.sharing.forget(kind, record._id!);
      await repository.deleteById(record._id!);
    }
    return expired.length;
  }
}

/**
 * A trashable kind's service: what admins see of its trash (listing,
 * restoring) and the purge, on the description its subclass gives.
 */
export abstract class TrashableResourceService<T extends Trashable> {
  protected constructor(
    private readonly trash: ResourceTrashService,
    private readonly trashable: TrashableKind<T>,
  ) {}

  restore(id: string): Promise<T> {
    return this.trash.restore(this.trashable, id);
  }

  listTrash(): Promise<T[]> {
    return this.trash.list(this.trashable);
  }

  /** Deletes for good what went to the trash before `cutoff`; answers how many. */
  purgeTrashedBefore(cutoff: Date): Promise<number> {
    return this.trash.purgeBefore(this.trashable, cutoff);
  }
}
