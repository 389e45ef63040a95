import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomUUID} from 'node:crypto';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {KeyedLock} from '../../utils/keyed-lock.util';
import {Module} from '../../models/module.model';
import type {Page, PageOf} from '../../models/page';
import {ModuleRepository} from '../../repositories/module.repository';
import {Plain} from '../../repositories/plain-find';
import {AccessService} from '../access/access.service';
import {ownerFor} from './dataset.service';
import {FileSystemService, TRASH_FOLDER} from './file-system.service';
import type {Caller} from '../identity/identity.service';
import {LuaModulefileService} from './lua-modulefile.service';
import {narrowing} from '../pagination.service';
import {SharingService} from '../access/sharing.service';

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

/**
 * Lmod modules: MODULES_ROOT/binaries/{id} and the generated modulefile
 * MODULES_ROOT/modulefiles/{owner}/{name}/{version}.lua. Deleting moves both
 * to MODULES_ROOT/.trash/{id}, outside MODULEPATH.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ModuleService {
  private readonly root: string;
  private readonly uniqueness = new KeyedLock();

  constructor(
    @inject(AppBindings.CONFIG) config: AppConfig,
    @repository(ModuleRepository) private readonly modules: ModuleRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(SharingService) private readonly sharing: SharingService,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(LuaModulefileService) private readonly lua: LuaModulefileService,
  ) {
    this.root = config.modulesRoot;
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
    const content = this.lua.render(module.luaModuleFile);
    // The check and the create are one step per (owner, name, version): two
    // creates of one module cannot both pass the check and share a modulefile.
    return this.uniqueness.run(uniqueKey(module), async () => {
      await this.assertUnique(module);
      const id = randomUUID();
      await this.files.createFolder(this.root, BINARIES, id);
      try {
        await this.files.writeFileAtomically(content, this.root, ...modulefilePath(module));
        return await this.modules.create({...module, _id: id});
      } catch (err) {
        await this.files.removeFile(this.root, ...modulefilePath(module));
        await this.files.removeEmptyFolder(this.root, BINARIES, id);
        throw err;
      }
    });
  }

  async update(caller: Caller, id: string, patch: Partial<ModuleInput>): Promise<Module> {
    await this.access.assertMayChange(caller, 'module', id, patch);
    const current = await this.modules.findById(id);
    const next = {...current.toJSON(), ...patch} as Module;
    const content = this.lua.render(next.luaModuleFile ?? []);
    const moved = next.name !== current.name || next.version !== current.version;
    await this.uniqueness.run(uniqueKey(next), async () => {
      if (moved) await this.assertUnique(next, id);
      await this.files.writeFileAtomically(content, this.root, ...modulefilePath(next));
      await this.modules.updateById(id, patch);
    });
    if (moved) await this.files.removeFile(this.root, ...modulefilePath(current));
    return this.modules.findById(id);
  }

  async remove(id: string): Promise<void> {
    const module = await this.modules.findById(id);
    await this.files.move(this.root, [BINARIES, id], [TRASH_FOLDER, id, BINARIES]);
    await this.files.move(this.root, modulefilePath(module), [TRASH_FOLDER, id, 'modulefile.lua']);
    await this.modules.updateById(id, {deletedAt: new Date()});
  }

  async restore(id: string): Promise<Module> {
    const module = await this.modules.findById(id);
    if (!module.deletedAt) throw new HttpErrors.Conflict(`Module ${id} is not in the trash`);
    await this.assertUnique(module, id);
    await this.files.move(this.root, [TRASH_FOLDER, id, BINARIES], [BINARIES, id]);
    await this.files.move(this.root, [TRASH_FOLDER, id, 'modulefile.lua'], modulefilePath(module));
    await this.files.purgeFromTrash(this.root, id);
    const live = module.toJSON() as Partial<Module>;
    delete live.deletedAt;
    await this.modules.replaceById(id, live);
    return this.modules.findById(id);
  }

  listTrash(): Promise<Module[]> {
    return this.modules.find({where: {deletedAt: {gt: new Date(0)}}, order: ['deletedAt ASC']});
  }

  async purgeTrashedBefore(cutoff: Date): Promise<number> {
    const expired = await this.modules.find({where: {deletedAt: {between: [new Date(0), cutoff]}}});
    for (const module of expired) {
      await this.files.purgeFromTrash(this.root, module._id!);
      await this.sharing.forget('module', module._id!);
      await this.modules.deleteById(module._id);
    }
    return expired.length;
  }

  private async assertUnique(module: Pick<Module, 'owner' | 'name' | 'version'>, exceptId?: string): Promise<void> {
    const clash = await this.modules.findOne({
      where: {and: [{owner: module.owner, name: module.name, version: module.version}, LIVE]},
    });
    if (clash && clash._id !== exceptId) {
      throw new HttpErrors.Conflict(`${module.owner} already has module ${module.name}/${module.version}`);
    }
  }
}

/** A module's unique key: its owner, name and version. */
function uniqueKey(module: Pick<Module, 'owner' | 'name' | 'version'>): string {
  return `${module.owner}\u0000${module.name}\u0000${module.version}`;
}

function assertMayFeature(caller: Caller, featured?: boolean): void {
  if (featured && !caller.admin) {
    throw new HttpErrors.Forbidden('Only administrators may feature a module');
  }
}
