import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomUUID} from 'node:crypto';
import path from 'node:path';
import type {AppConfig} from '../../config';
import type {AuthorizedResource} from '../../types/resource-access';
import {AppBindings} from '../../keys';
import {KeyedLock} from '../../utils/keyed-lock.util';
import {Module} from './module.model';
import type {Page, PageOf} from '../../models/page';
import {ModuleRepository} from './module.repository';
import {Plain} from '../../framework/plain-find';
import {AccessService} from '../../services/access/access.service';
import {ownerFor} from '../dataset/dataset.service';
import {FileSystemService, TRASH_FOLDER} from '../../services/files/file-system.service';
import type {Caller} from '../../services/identity/identity.service';
import {LuaModulefileService} from './lua-modulefile.service';
import {narrowing} from '../../services/pagination.service';
import {ResourceTrashService, TrashableResourceService} from '../../services/files/resource-trash.service';

export type ModuleInput = Pick<
  Module,
  'name' | 'version' | 'description' | 'owner' | 'featured' | 'write_access' | 'luaModuleFile'
>;

/** Not in the trash (null matches a missing field on both connectors). */
const LIVE = {deletedAt: null} as unknown as Where<Module>;
const BINARIES = 'binaries';
const MODULEFILES = 'modulefiles';

const modulefilePath = (m: Pick<Module, 'owner' | 'name' | 'version'>) =>
  [MODULEFILES, m.owner!, m.name, `${m.version}.lua`];
/** A module's binaries folder below MODULES_ROOT: its writers' programs, which its modulefile puts on PATH. */
export const binariesOf = (id: string) => [BINARIES, id];

/**
 * Lmod modules: MODULES_ROOT/binaries/{id}, which writers fill through the
 * files routes (root `module:{id}`), and the generated modulefile
 * MODULES_ROOT/modulefiles/{owner}/{name}/{version}.lua, which puts that
 * folder on PATH. Deleting moves both to MODULES_ROOT/.trash/{id}, outside
 * MODULEPATH.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ModuleService extends TrashableResourceService<Module> {
  private readonly root: string;
  private readonly lock = new KeyedLock();

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @repository(ModuleRepository) private readonly modules: ModuleRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(LuaModulefileService) private readonly lua: LuaModulefileService,
    @service(ResourceTrashService) trash: ResourceTrashService,
  ) {
    const root = config.modulesRoot;
    const filesBack = async (module: Module) => {
      await files.move(root, [TRASH_FOLDER, module._id!, BINARIES], binariesOf(module._id!));
      await files.move(root, [TRASH_FOLDER, module._id!, 'modulefile.lua'], modulefilePath(module));
      await files.purgeFromTrash(root, module._id!);
    };
    super(trash, {kind: 'module', repository: modules, root, filesBack});
    this.root = root;
  }

  /** Where servers find the module's programs: MODULES_ROOT is mounted at the same path in them. */
  private binariesPath(id: string): string {
    return path.join(this.root, ...binariesOf(id));
  }

  async list(caller: Caller, filter: {owner?: string; name?: string}, page: Page): Promise<PageOf<Plain<Module>>> {
    const readable = await this.access.readableWhere<Module>(caller, 'module');
    return this.modules.findPage({and: [readable, narrowing(filter), LIVE]}, ['name ASC', 'version ASC'], page);
  }

  get(id: string): Promise<Plain<Module>> {
    return this.modules.findPlainById(id);
  }

  async create(caller: Caller, input: ModuleInput): Promise<Module> {
    assertMayFeature(caller, input.featured);
    const owner = ownerFor(caller, input.owner);
    const module = {...input, owner, featured: input.featured ?? false, write_access: input.write_access ?? false, luaModuleFile: input.luaModuleFile ?? []};
    const id = randomUUID();
    const content = this.lua.render(module.luaModuleFile, this.binariesPath(id));
    // The record claims (owner, name, version) in the store before the files
    // are written: a second create of the module is refused (409) before it
    // touches the modulefile that is the first one's.
    const created = await this.modules.create({...module, _id: id});
    try {
      await this.files.createFolder(this.root, ...binariesOf(id));
      await this.files.writeFileAtomically(content, this.root, ...modulefilePath(module));
      return created;
    } catch (err) {
      await this.files.removeFile(this.root, ...modulefilePath(module));
      await this.files.removeEmptyFolder(this.root, ...binariesOf(id));
      await this.modules.deleteById(id);
      throw err;
    }
  }

  /**
   * Changes a module and rewrites its modulefile, moving it when the name or
   * version changes. The record goes first, claiming a new key or refusing
   * with 409 before any file is touched; it goes back if the file cannot be
   * written. One change of a module at a time, since each reads the module.
   */
  async update(caller: Caller, module: AuthorizedResource<Module>, patch: Partial<ModuleInput>): Promise<Module> {
    await this.access.assertMayChange(caller, module, patch);
    const id = module.id;
    return this.lock.run(id, async () => {
      const current = await this.modules.findById(id);
      const next = {...current.toJSON(), ...patch} as Module;
      const content = this.lua.render(next.luaModuleFile ?? [], this.binariesPath(id));
      await this.modules.updateById(id, patch);
      try {
        await this.files.writeFileAtomically(content, this.root, ...modulefilePath(next));
      } catch (err) {
        await this.modules.replaceById(id, current);
        throw err;
      }
      if (modulefilePath(next).join('/') !== modulefilePath(current).join('/')) {
        await this.files.removeFile(this.root, ...modulefilePath(current));
      }
      return this.modules.findById(id);
    });
  }

  async remove(id: string): Promise<void> {
    await this.lock.run(id, async () => {
      const module = await this.modules.findById(id);
      await this.files.move(this.root, binariesOf(id), [TRASH_FOLDER, id, BINARIES]);
      await this.files.move(this.root, modulefilePath(module), [TRASH_FOLDER, id, 'modulefile.lua']);
      await this.modules.updateById(id, {deletedAt: new Date()});
    });
  }

  /** Brings a module back from the trash, its modulefile where its name and version say. */
  override restore(id: string): Promise<Module> {
    return this.lock.run(id, () => super.restore(id));
  }
}

function assertMayFeature(caller: Caller, featured?: boolean): void {
  if (featured && !caller.admin) {
    throw new HttpErrors.Forbidden('Only administrators may feature a module');
  }
}
