import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {Group} from '../models/group.model';
import type {Page, PageOf} from '../models/page';
import {GroupRepository} from '../repositories/group.repository';
import {Plain} from '../repositories/plain-find';
import {KeyedLock} from '../utils/keyed-lock.util';
import {normaliseEmail} from '../validation';
import {AccessService} from './access/access.service';
import {narrowing} from './pagination.service';
import type {Caller} from './identity/identity.service';
import {SharingService} from './access/sharing.service';

/** Groups of people by email; their owner (or an admin) changes them. */
@injectable({scope: BindingScope.SINGLETON})
export class GroupService {
  private readonly lock = new KeyedLock();
  private readonly names = new KeyedLock();

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

  async create(caller: Caller, rawName: string): Promise<Group> {
    const name = groupName(rawName);
    // The check and the create are one step per owner and name.
    return this.names.run(nameKey(caller.email, name), async () => {
      await this.assertNameFree(caller.email, name);
      return this.groups.create({name, owner: caller.email, members: [caller.email], createdAt: new Date()});
    });
  }

  async rename(id: string, rawName: string): Promise<Group> {
    const name = groupName(rawName);
    return this.lock.run(id, async () => {
      const group = await this.groups.findById(id);
      return this.names.run(nameKey(group.owner, name), async () => {
        if (group.name.toLowerCase() !== name.toLowerCase()) await this.assertNameFree(group.owner, name, id);
        await this.groups.updateById(id, {name});
        return Object.assign(group, {name});
      });
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

  /** Names are unique per owner whatever their case. */
  private async assertNameFree(owner: string, name: string, exceptId?: string): Promise<void> {
    const sameName = new RegExp(`^${name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'i');
    const clash = await this.groups.findOne({where: {owner, name: {regexp: sameName}}});
    if (clash && clash._id !== exceptId) {
      throw new HttpErrors.Conflict(`You already have a group named "${name}"`);
    }
  }
}

/** A group name as stored: without surrounding spaces, and not empty. */
function groupName(value: string): string {
  const name = value.trim();
  if (!name) throw new HttpErrors.BadRequest('A group name must not be empty or spaces only');
  return name;
}

function nameKey(owner: string, name: string): string {
  return `${owner}\u0000${name.toLowerCase()}`;
}

function validEmail(value: string): string {
  const email = normaliseEmail(value);
  if (!email) throw new HttpErrors.BadRequest(`memberEmail "${value}" is not an email`);
  return email;
}
