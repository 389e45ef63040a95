import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {Secret} from '../../models/secret.model';
import {ServerRepository} from '../../repositories/server.repository';
import {TemplateRepository} from '../../repositories/template.repository';
import {AccessService} from '../access/access.service';
import {ResourceLookupService} from '../access/resource-lookup.service';
import {SecretService, SecretValue} from '../secrets/secret.service';
import {UserDirectoryService} from '../identity/user-directory.service';

/** What the spawner writes into a starting server: a variable set or a file. */
export interface SpawnSecret {
  id: string;
  secretName: string;
  type: string;
  mount_path?: string;
  value: SecretValue;
}

/**
 * Secret values reach a server straight from the store through the hub's
 * spawner, never through the hub's database (user_options hold only where
 * the values are). Given only while the server is starting, and only the
 * secrets of its template that its owner may read now.
 */
@injectable({scope: BindingScope.SINGLETON})
export class SpawnerSecretsService {
  constructor(
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @repository(TemplateRepository) private readonly templates: TemplateRepository,
    @service(UserDirectoryService) private readonly users: UserDirectoryService,
    @service(AccessService) private readonly access: AccessService,
    @service(ResourceLookupService) private readonly resources: ResourceLookupService,
    @service(SecretService) private readonly secrets: SecretService,
  ) {}

  async forStartingServer(hubUser: string, serverName: string): Promise<SpawnSecret[]> {
    const server = await this.servers.findOne({where: {hubUser, name: serverName}});
    if (!server) throw new HttpErrors.NotFound(`The API has no server ${serverName} of hub user ${hubUser}`);
    if (server.status !== 'starting') {
      throw new HttpErrors.Conflict(
        `Server ${serverName} of ${hubUser} is ${server.status}, not starting: its secrets are given only while it starts`,
      );
    }
    const template = await this.templates.findOne({where: {_id: server.templateId}});
    const owner = await this.users.asCaller(server.owner);
    const given: SpawnSecret[] = [];
    for (const id of new Set(template?.secrets ?? [])) {
      const secret = await this.resources.find<Secret>('secret', id);
      if (!secret || (await this.access.levelOf(owner, 'secret', secret.subject)) === 'none') continue;
      const {secretName, type, mount_path: mountPath, value} = await this.secrets.withValue(secret.record);
      given.push({id, secretName, type, ...(mountPath ? {mount_path: mountPath} : {}), value});
    }
    return given;
  }
}
