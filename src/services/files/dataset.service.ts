import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomUUID} from 'node:crypto';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {Dataset} from '../../models/dataset.model';
import type {Page, PageOf} from '../../models/page';
import {DatasetRepository} from '../../repositories/dataset.repository';
import {Plain} from '../../repositories/plain-find';
import {AccessService} from '../access/access.service';
import {FileSystemService, TRASH_FOLDER} from './file-system.service';
import type {Caller} from '../identity/identity.service';
import {narrowing} from '../pagination.service';
import {SharingService} from '../access/sharing.service';

export type DatasetInput = Pick<Dataset, 'name' | 'description' | 'owner' | 'write_access'>;

/**
 * Datasets: a record and a folder DATASETS_ROOT/{id}. Deleting moves the
 * folder to DATASETS_ROOT/.trash/{id}, from where an admin can restore it
 * until it is purged after TRASH_RETENTION_DAYS.
 */
@injectable({scope: BindingScope.SINGLETON})
export class DatasetService {
  private readonly root: string;

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @repository(DatasetRepository) private readonly datasets: DatasetRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(SharingService) private readonly sharing: SharingService,
    @service(FileSystemService) private readonly files: FileSystemService,
  ) {
    this.root = config.datasetsRoot;
  }

  async list(caller: Caller, filter: {owner?: string; name?: string}, page: Page): Promise<PageOf<Plain<Dataset>>> {
    const readable = await this.access.readableWhere<Dataset>(caller, 'dataset');
    return this.datasets.findPage({and: [readable, narrowing(filter), {deletedAt: null}]}, ['name ASC'], page);
  }

  get(id: string): Promise<Plain<Dataset>> {
    return this.datasets.findPlainById(id);
  }

  async create(caller: Caller, input: DatasetInput): Promise<Dataset> {
    const owner = ownerFor(caller, input.owner);
    const id = randomUUID();
    await this.files.createFolder(this.root, id);
    try {
      return await this.datasets.create({...input, _id: id, owner, write_access: input.write_access ?? false});
    } catch (err) {
      await this.files.removeEmptyFolder(this.root, id);
      throw err;
    }
  }

  async update(caller: Caller, id: string, patch: Partial<DatasetInput>): Promise<Dataset> {
    await this.access.assertMayChange(caller, 'dataset', id, patch);
    await this.datasets.updateById(id, patch);
    return this.datasets.findById(id);
  }

  async remove(id: string): Promise<void> {
    await this.files.move(this.root, [id], [TRASH_FOLDER, id]);
    try {
      await this.datasets.updateById(id, {deletedAt: new Date()});
    } catch (err) {
      await this.files.move(this.root, [TRASH_FOLDER, id], [id]);
      throw err;
    }
  }

  async restore(id: string): Promise<Dataset> {
    const dataset = await this.datasets.findById(id);
    if (!dataset.deletedAt) throw new HttpErrors.Conflict(`Dataset ${id} is not in the trash`);
    await this.files.move(this.root, [TRASH_FOLDER, id], [id]);
    const live = dataset.toJSON() as Partial<Dataset>;
    delete live.deletedAt;
    await this.datasets.replaceById(id, live);
    return this.datasets.findById(id);
  }

  listTrash(): Promise<Dataset[]> {
    return this.datasets.find({where: {deletedAt: {gt: new Date(0)}}, order: ['deletedAt ASC']});
  }

  /** Deletes for good what went to the trash before `cutoff`; answers how many. */
  async purgeTrashedBefore(cutoff: Date): Promise<number> {
    const expired = await this.datasets.find({where: {deletedAt: {between: [new Date(0), cutoff]}}});
    for (const dataset of expired) {
      await this.files.purgeFromTrash(this.root, dataset._id!);
      await this.sharing.forget('dataset', dataset._id!);
      await this.datasets.deleteById(dataset._id);
    }
    return expired.length;
  }
}

/** The caller owns what they create; only an admin may name another owner. */
export function ownerFor(caller: Caller, requested?: string): string {
  const owner = requested?.trim().toLowerCase();
  if (owner === undefined || owner === caller.email) return caller.email;
  if (!caller.admin) {
    throw new HttpErrors.Forbidden('Only administrators may create for another owner');
  }
  return owner;
}
