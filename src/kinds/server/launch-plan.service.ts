import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {Dataset} from '../dataset/dataset.model';
import {Module} from '../module/module.model';
import type {Plain} from '../../models/plain';
import {Secret} from '../secret/secret.model';
import {Server} from './server.model';
import {TemplateRepository} from '../template/template.repository';
import {isModuleOwner, isRelativePath, isSettableEnvName, secretFilePath} from '../../utils/launch-plan.util';
import {AccessService, atLeast} from '../../services/access/access.service';
import {UserDirectoryService} from '../../services/identity/user-directory.service';
import {LoggerService} from '../../services/logger.service';
import {SecretService} from '../secret/secret.service';
import {HardwareLimits, HardwareService} from '../../services/hub/hardware.service';

export interface PlannedDataset {
  id: string;
  name: string;
  /** Its folder under the datasets root. */
  source: string;
  access: 'read' | 'write';
}

export interface PlannedModule {
  id: string;
  owner: string;
  name: string;
  version: string;
}

export type PlannedSecret =
  | {id: string; secretName: string; type: 'env_var'; variables: Record<string, string>}
  | {id: string; secretName: string; type: 'raw'; path: string; content: string};

/** Everything one start of a server gets (hub/notebooks_hub_spawner/launch_plan.schema.json). */
export interface LaunchPlan {
  hubUser: string;
  serverName: string;
  owner: string;
  application: string;
  filePath?: string;
  hardware: HardwareLimits | null;
  datasets: PlannedDataset[];
  modules: PlannedModule[];
  secrets: PlannedSecret[];
}

/**
 * The launch plan of a starting server, decided when its spawner redeems
 * the ticket, from what its owner may read and write at that moment: a
 * share revoked after the start asked the hub is already out. Anything the
 * contract would refuse is left out, so one bad item cannot stop a launch.
 */
@injectable({scope: BindingScope.SINGLETON})
export class LaunchPlanService {
  constructor(
    @repository(TemplateRepository) private readonly templates: TemplateRepository,
    @service(UserDirectoryService) private readonly users: UserDirectoryService,
    @service(AccessService) private readonly access: AccessService,
    @service(SecretService) private readonly secrets: SecretService,
    @service(HardwareService) private readonly hardware: HardwareService,
    @service(LoggerService) private readonly logger: LoggerService,
  ) {}

  async planFor(server: Server): Promise<LaunchPlan> {
    const template = await this.templates.findById(server.templateId);
    const owner = await this.users.asCaller(server.owner);
    const plan: LaunchPlan = {
      hubUser: server.hubUser,
      serverName: server.name,
      owner: server.owner,
      application: template.applicationType,
      // An option taken out of the file since the template named it keeps its name, and no limits.
      hardware: template.hardware ? ((await this.hardware.limits(template.hardware)) ?? {name: template.hardware}) : null,
      datasets: [],
      modules: [],
      secrets: [],
    };
    if (template.filePath !== undefined && isRelativePath(template.filePath)) plan.filePath = template.filePath;

    for (const {record, level} of (await this.access.readableReferences<Dataset>(owner, 'dataset', template.datasets)).readable) {
      // The flag says whether the dataset may be written at all; only those who may write it get it writable.
      const writable = (record.write_access ?? false) && atLeast(level, 'write');
      plan.datasets.push({id: record._id!, name: record.name, source: record._id!, access: writable ? 'write' : 'read'});
    }
    for (const {record} of (await this.access.readableReferences<Module>(owner, 'module', template.modules)).readable) {
      if (!isModuleOwner(record.owner ?? '')) {
        this.logger.warn('left a module out of a launch plan: its owner cannot name a modulefile folder', {module: record._id});
        continue;
      }
      plan.modules.push({id: record._id!, owner: record.owner!, name: record.name, version: record.version});
    }
    const paths = new Set<string>();
    for (const {record} of (await this.access.readableReferences<Secret>(owner, 'secret', template.secrets)).readable) {
      const planned = await this.plannedSecret(record, paths);
      if (planned) plan.secrets.push(planned);
    }
    return plan;
  }

  /** The secret with its value, or undefined (and a warning naming no value) when the contract refuses it. */
  private async plannedSecret(secret: Plain<Secret>, paths: Set<string>): Promise<PlannedSecret | undefined> {
    const {value} = await this.secrets.withValue(secret);
    const id = secret._id!;
    if (secret.type === 'env_var' && typeof value === 'object') {
      const refused = Object.keys(value).find(name => !isSettableEnvName(name));
      if (refused !== undefined) {
        this.logger.warn('left a secret out of a launch plan: it sets a variable no secret may set', {secret: id, variable: refused});
        return undefined;
      }
      return {id, secretName: secret.secretName, type: 'env_var', variables: {...value}};
    }
    if (secret.type === 'raw' && typeof value === 'string' && !value.includes('\0')) {
      const path = secretFilePath({id, secretName: secret.secretName, mountPath: secret.mount_path}, paths);
      paths.add(path);
      return {id, secretName: secret.secretName, type: 'raw', path, content: value};
    }
    this.logger.warn('left a secret out of a launch plan: its value is not one a server can take', {secret: id});
    return undefined;
  }

}
