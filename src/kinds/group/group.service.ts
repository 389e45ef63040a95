import {BindingScope, injectable, service} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {Group} from '../../models/group.model';
import type {Page, PageOf} from '../../models/page';
import {GroupRepository} from '../../repositories/group.repository';
import {Plain} from '../../framework/plain-find';
import {KeyedLock} from '../../utils/keyed-lock.util';
import {normaliseEmail} from '../../validation';
import {AccessService} from '../../services/access/access.service';
import {narrowing} from '../../services/pagination.service';
import type {Caller} from '../../services/identity/identity.service';
import {SharingService} from '../../services/access/sharing.service';

/** Groups of people by email; their owner (or an admin) changes them. */
@injectable({scope: BindingScope.SINGLETON})
export class GroupService {
  private readonly lock = new KeyedLock();

  constructor(
    @repository(GroupRepository) private readonly groups: GroupRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(SharingService) private readonly sharing: SharingService,
  ) {}

  async list(caller: Caller, filter: {owner?: string; name?: string}, page: Page): Promise<PageOf<Plain<Group>>> {
    const where = {and: [await this.access.readableWhere<Group>(caller, 'group'), narrowing(filter)]};
    return this.groups.findPage(where, ['name ASC'], page);
  }

  get(id: string): Promise<Plain<Group>> {
    return this.groups.findPlainById(id);
  }

  /** Names are unique per owner whatever their case: the store refuses a second one with 409. */
  async create(caller: Caller, rawName: string): Promise<Group> {
    return this.groups.create({...named(rawName), owner: caller.email, members: [caller.email], createdAt: new Date()});
  }

  async rename(id: string, rawName: string): Promise<Group> {
    const name = named(rawName);
    return this.lock.run(id, async () => {
      const group = await this.groups.findById(id);
      await this.groups.updateById(id, name);
      return Object.assign(group, name);
    });
  }

  async remove(id: string): Promise<void> {
    await this.lock.run(id, async () => {
      await this.groups.deleteById(id);
      await this.sharing.forgetGroup(id);
    });
  }

  async addMember(id: string, memberEmail: string): Promise<string[]> {
    const email = validEmail(memberEmail);
    return this.lock.run(id, async () => {
      const group = await this.groups.findById(id);
      if (!group.members.includes(email)) {
        group.members = [...group.members, email];
        await this.groups.updateById(id, {members: group.members});
      }
      return group.members;
    });
  }

  async removeMember(id: string, memberEmail: string): Promise<string[]> {
    const email = validEmail(memberEmail);
    return this.lock.run(id, async () => {
      const group = await this.groups.findById(id);
      if (!group.members.includes(email)) {
        throw new HttpErrors.NotFound(`${email} is not a member of group ${id}`);
      }
      group.members = group.members.filter(member => member !== email);
      await this.groups.updateById(id, {members: group.members});
      return group.members;
    });
  }

  /**
   * Keys the names of groups stored before names had a key, so that the
   * store holds them too (and MongoDB can build the index). A legacy group
   * whose name another group of its owner already has, whatever the case,
   * exists already: it gets a key of its own (its id appended) rather than
   * stop start-up, and the name may be shared until it is renamed.
   */
  async keyLegacyNames(): Promise<void> {
    const legacy = await this.groups.find({where: {nameKey: null} as unknown as Where<Group>});
    for (const group of legacy) {
      const {nameKey} = named(group.name);
      await this.groups.updateById(group._id, {nameKey}).catch(async err => {
        if (!(err instanceof HttpErrors.Conflict)) throw err;
        await this.groups.updateById(group._id, {nameKey: `${nameKey}\u0000${group._id}`});
      });
    }
  }
}

/** A group name as stored, without surrounding spaces and not empty, and the key it is unique by. */
function named(value: string): Pick<Group, 'name' | 'nameKey'> {
  const name = value.trim();
  if (!name) throw new HttpErrors.BadRequest('A group name must not be empty or spaces only');
  return {name, nameKey: name.toLowerCase()};
}

function validEmail(value: string): string {
  const email = normaliseEmail(value);
  if (!email) throw new HttpErrors.BadRequest(`memberEmail "${value}" is not an email`);
  return email;
}
