import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomUUID} from 'node:crypto';
import type {AppConfig} from '../../config';
import type {AuthorizedResource} from '../../types/resource-access';
import {AppBindings} from '../../keys';
import {Dataset} from './dataset.model';
import type {Page, PageOf} from '../../models/page';
import {DatasetRepository} from './dataset.repository';
import {Plain} from '../../framework/plain-find';
import {AccessService} from '../../services/access/access.service';
import {FileSystemService, TRASH_FOLDER} from '../../services/files/file-system.service';
import type {Caller} from '../../services/identity/identity.service';
import {narrowing} from '../../services/pagination.service';
import {ResourceTrashService, TrashableResourceService} from '../../services/files/resource-trash.service';

export type DatasetInput = Pick<Dataset, 'name' | 'description' | 'owner' | 'write_access'>;

/**
 * Datasets: a record and a folder DATASETS_ROOT/{id}. Deleting moves the
 * folder to DATASETS_ROOT/.trash/{id}, from where an admin can restore it
 * until it is purged after TRASH_RETENTION_DAYS.
 */
@injectable({scope: BindingScope.SINGLETON})
export class DatasetService extends TrashableResourceService<Dataset> {
  private readonly root: string;

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @repository(DatasetRepository) private readonly datasets: DatasetRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(ResourceTrashService) trash: ResourceTrashService,
  ) {
    const root = config.datasetsRoot;
    const filesBack = (dataset: Dataset) => files.move(root, [TRASH_FOLDER, dataset._id!], [dataset._id!]);
    super(trash, {kind: 'dataset', repository: datasets, root, filesBack});
    this.root = root;
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

  async update(caller: Caller, dataset: AuthorizedResource<Dataset>, patch: Partial<DatasetInput>): Promise<Dataset> {
    await this.access.assertMayChange(caller, dataset, patch);
    await this.datasets.updateById(dataset.id, patch);
    return this.datasets.findById(dataset.id);
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

  /**
   * Removes dataset folders a create left without their record (the API
   * killed between making the folder and writing the record): empty, older
   * than a create can take, and named by no dataset; one holding anything
   * stays. Answers how many went.
   */
  async removeOrphanFolders(now = Date.now()): Promise<number> {
    return this.files.inFolder(this.root, [], {create: false}, async root => {
      const candidates = (await root.list())
        .filter(({name, stats}) => UUID.test(name) && stats.isDirectory() && now - stats.mtimeMs > ORPHAN_AFTER_MS)
        .map(({name}) => name);
      let removed = 0;
      for (let i = 0; i < candidates.length; i += ORPHAN_BATCH) {
        const batch = candidates.slice(i, i + ORPHAN_BATCH);
        const known = new Set((await this.datasets.find({where: {_id: {inq: batch}}, fields: {_id: true}})).map(d => d._id));
        for (const id of batch.filter(name => !known.has(name))) {
          await root.removeEmptyFolder(id);
          if (!(await root.lstat(id))) removed++;
        }
      }
      return removed;
    });
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** Far longer than making a folder and writing a record takes. */
const ORPHAN_AFTER_MS = 10 * 60 * 1000;
/** Dataset ids asked of the store at once. */
const ORPHAN_BATCH = 500;

/** The caller owns what they create; only an admin may name another owner. */
export function ownerFor(caller: Caller, requested?: string): string {
  const owner = requested?.trim().toLowerCase();
  if (owner === undefined || owner === caller.email) return caller.email;
  if (!caller.admin) {
    throw new HttpErrors.Forbidden('Only administrators may create for another owner');
  }
  return owner;
}
