import {BindingScope, injectable, service} from '@loopback/core';
import {repository, Where} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {randomBytes} from 'node:crypto';
import type {AuthorizedResource} from '../../types/resource-access';
import type {Page, PageOf} from '../../models/page';
import {Template} from './template.model';
import {ServerRepository} from '../server/server.repository';
import {TemplateRepository} from './template.repository';
import {AccessService} from '../../services/access/access.service';
import {HardwareService} from '../../services/hub/hardware.service';
import type {Caller} from '../../services/identity/identity.service';
import {invalidFields} from '../../utils/api-error.util';
import {isRelativePath} from '../../utils/launch-plan.util';
import {ApplicationService} from '../../services/hub/application.service';
import {ServerLimitsService} from '../server/server-limits.service';
import {TemplateView, TemplateViewService} from './template-view.service';

/** What a body may set; creator, timestamp and serverName are the server's. */
export type TemplateInput = Pick<
  Template,
  | 'name'
  | 'description'
  | 'applicationType'
  | 'hardware'
  | 'type'
  | 'public'
  | 'datasets'
  | 'modules'
  | 'secrets'
  | 'filePath'
  | 'tags'
  | 'featuredImage'
  | 'idleTimeoutMinutes'
  | 'maxLifetimeHours'
>;

const SETTABLE: Array<keyof TemplateInput> = [
  'name', 'description', 'applicationType', 'hardware', 'type', 'public',
  'datasets', 'modules', 'secrets', 'filePath', 'tags', 'featuredImage', 'idleTimeoutMinutes', 'maxLifetimeHours',
];

/** Draws of a random serverName suffix before a create gives up: one in 16 million repeats a given one. */
const SERVER_NAME_DRAWS = 5;

export interface TemplateFilter {
  type?: string;
  email?: string;
}

/** Templates: validated references, server-set fields and tags. */
@injectable({scope: BindingScope.SINGLETON})
export class TemplateService {
  constructor(
    @repository(TemplateRepository) private readonly templates: TemplateRepository,
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @service(AccessService) private readonly access: AccessService,
    @service(HardwareService) private readonly hardware: HardwareService,
    @service(ApplicationService) private readonly applications: ApplicationService,
    @service(ServerLimitsService) private readonly limits: ServerLimitsService,
    @service(TemplateViewService) private readonly views: TemplateViewService,
  ) {}

  /** A page of the readable templates, each as the caller may see it. */
  async list(caller: Caller, filter: TemplateFilter, page: Page): Promise<PageOf<TemplateView>> {
    const found = await this.templates.findPage(await this.listWhere(caller, filter), ['timestamp DESC'], page);
    return {...found, items: await this.views.allForViewer(caller, found.items)};
  }

  /** Tags of the readable templates with how many use each, most used first: counted over all of them, so read in full. */
  async tags(caller: Caller, filter: TemplateFilter): Promise<Array<{tag: string; count: number}>> {
    const counts = new Map<string, number>();
    for (const template of await this.templates.findPlain({where: await this.listWhere(caller, filter)})) {
      for (const tag of new Set(template.tags ?? [])) counts.set(tag, (counts.get(tag) ?? 0) + 1);
    }
    return [...counts]
      .map(([tag, count]) => ({tag, count}))
      .sort((a, b) => b.count - a.count || a.tag.localeCompare(b.tag));
  }

  get(id: string): Promise<Template> {
    return this.templates.findById(id);
  }

  /** The templates the caller may read, narrowed by the filter. */
  private async listWhere(caller: Caller, filter: TemplateFilter): Promise<Where<Template>> {
    const where: object[] = [await this.access.readableWhere<Template>(caller, 'template')];
    if (filter.type) where.push({type: filter.type});
    if (filter.email) where.push({creator: filter.email.trim().toLowerCase()});
    return {and: where} as Where<Template>;
  }

  /** A new template of the caller; `implicit` when POST /servers makes it from its body. */
  async create(caller: Caller, body: TemplateInput, implicit = false): Promise<Template> {
    const input = settable(body);
    await this.validate(caller, input);
    const timestamp = new Date();
    // serverName is unique per creator in the store; a random suffix that repeats one of theirs is refused, and another drawn.
    for (let draw = 1; ; draw++) {
      try {
        return await this.templates.create({
          ...input,
          creator: caller.email,
          timestamp,
          serverName: serverNameFor(input.name),
          ...(implicit ? {implicit} : {}),
        });
      } catch (err) {
        if (!(err instanceof HttpErrors.Conflict) || draw === SERVER_NAME_DRAWS) throw err;
      }
    }
  }

  async update(caller: Caller, template: AuthorizedResource<Template>, body: Partial<TemplateInput>): Promise<Template> {
    const patch = settable(body);
    await this.access.assertMayChange(caller, template, patch);
    await this.validate(caller, patch);
    await this.templates.updateById(template.id, patch);
    return this.templates.findById(template.id);
  }

  async remove(id: string): Promise<void> {
    const users = await this.servers.count({templateId: id});
    if (users.count > 0) {
      throw new HttpErrors.Conflict(`Template ${id} is used by ${users.count} server(s); delete them first`);
    }
    await this.templates.deleteById(id);
  }

  /** 400 naming every referenced id, of every kind, that the caller cannot read. */
  async assertReadable(caller: Caller, input: Partial<Pick<TemplateInput, 'datasets' | 'modules' | 'secrets'>>): Promise<void> {
    await this.references(caller, input);
  }

  private async validate(caller: Caller, input: Partial<TemplateInput>): Promise<void> {
    if (input.type === 'featured' && !caller.admin) {
      throw new HttpErrors.Forbidden('Only administrators create featured templates');
    }
    if (input.applicationType !== undefined) input.applicationType = this.applications.offered(input.applicationType);
    if (input.filePath !== undefined) assertRelativePath(input.filePath);
    this.limits.assertWithinCaps(input);
    if (input.hardware !== undefined) await this.hardware.assertKnown(input.hardware);
    await this.references(caller, input);
  }

  /** 400 naming every referenced id, of every kind, that is missing or the caller cannot read. */
  private async references(caller: Caller, input: Partial<Pick<TemplateInput, 'datasets' | 'modules' | 'secrets'>>): Promise<void> {
    const offending: string[] = [];
    for (const [kind, ids] of [['dataset', input.datasets], ['module', input.modules], ['secret', input.secrets]] as const) {
      const {unreadable} = await this.access.readableReferences(caller, kind, ids);
      if (unreadable.length > 0) offending.push(`${kind}s ${unreadable.join(', ')}`);
    }
    if (offending.length > 0) {
      throw new HttpErrors.BadRequest(`These do not exist or are not readable: ${offending.join('; ')}`);
    }
  }
}

/** 400 naming filePath unless it stays inside the home folder: relative, no `..` segment, no control character. */
function assertRelativePath(filePath: string): void {
  if (!isRelativePath(filePath)) {
    throw invalidFields([
      {path: '/filePath', code: 'pattern', message: 'must be relative to the home folder, without a leading /, a .. segment or control characters'},
    ]);
  }
}

function settable<T extends Partial<TemplateInput>>(body: T): T {
  const picked: Partial<TemplateInput> = {};
  for (const key of SETTABLE) {
    if (body[key] !== undefined) (picked as Record<string, unknown>)[key] = body[key];
  }
  return picked as T;
}

/** A JupyterHub-safe base for server names: lower-case letters, digits and dashes, plus a random suffix. */
export function serverNameFor(name: string): string {
  const slug = name
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40);
  return `${slug || 'server'}-${randomBytes(3).toString('hex')}`;
}
