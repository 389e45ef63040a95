import {BindingScope, inject, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {Server} from './server.model';
import {Template} from '../template/template.model';
import {ServerRepository} from './server.repository';
import {AccessService} from '../../services/access/access.service';
import {VolumeService} from '../../services/files/volume.service';
import type {Caller} from '../../services/identity/identity.service';
import {UserDirectoryService} from '../../services/identity/user-directory.service';
import {ApplicationService} from '../../services/hub/application.service';
import {JupyterHubService} from '../../services/hub/jupyterhub.service';
import {ServerService} from './server.service';
import {TemplateService} from '../template/template.service';

/** A file of the caller's home and the server it opens in. */
export interface OpenedFile {
  path: string;
  /** Running, or starting: follow GET /servers/{id}/progress, then go to `url`. */
  server: Server;
  /** The file in the server's application (FILE_LINK_PATH), or the server itself when that names no path for it. */
  url: string;
}

/**
 * Opens a file of a person's home, whether or not a server of theirs runs
 * (the ELN's links land here through the launcher): in a server of theirs
 * that runs or is starting, since every one of them holds their home; else
 * their default template is started, reusing a stopped server of theirs on
 * it. The default is the operator's DEFAULT_TEMPLATE_ID, else the template
 * they last launched, whichever of the two they may read.
 */
@injectable({scope: BindingScope.SINGLETON})
export class FileOpeningService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @repository(ServerRepository) private readonly servers: ServerRepository,
    @service(ServerService) private readonly serverService: ServerService,
    @service(TemplateService) private readonly templates: TemplateService,
    @service(VolumeService) private readonly volumes: VolumeService,
    @service(AccessService) private readonly access: AccessService,
    @service(UserDirectoryService) private readonly users: UserDirectoryService,
    @service(ApplicationService) private readonly applications: ApplicationService,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
  ) {}

  async open(caller: Caller, filePath: string): Promise<OpenedFile> {
    // 400 for a path that could leave the home, 404 for a file that is not there: before any server starts.
    const file = await this.volumes.read(this.volumes.root(caller, undefined), filePath, false);
    const server = (await this.serverHoldingHome(caller)) ?? (await this.startDefault(caller));
    const template = await this.templates.get(server.templateId);
    const inServer = this.applications.filePath(template.applicationType, file.path.split('/'));
    return {path: file.path, server, url: this.hub.serverUrl(server.hubUser, server.name, inServer ?? '')};
  }

  /** A running server of the caller's, else one starting. */
  private async serverHoldingHome(caller: Caller): Promise<Server | undefined> {
    const live = await this.servers.find({
      where: {owner: caller.email, hubUser: caller.username, status: {inq: ['running', 'starting']}},
      order: ['createdAt ASC'],
    });
    return live.find(server => server.status === 'running') ?? live[0];
  }

  private async startDefault(caller: Caller): Promise<Server> {
    const template = await this.defaultTemplate(caller);
    const stopped = await this.servers.findOne({
      where: {owner: caller.email, templateId: template._id, status: 'stopped'},
      order: ['createdAt ASC'],
    });
    return stopped ? this.serverService.start(caller, stopped._id!) : this.serverService.create(caller, template, true);
  }

  private async defaultTemplate(caller: Caller): Promise<Template> {
    const candidates = [this.config.hub.defaultTemplateId, await this.users.lastLaunched(caller.email)].filter(
      (id): id is string => id !== undefined,
    );
    const {readable} = await this.access.readableReferences<Template>(caller, 'template', candidates);
    if (readable.length === 0) {
      throw Object.assign(
        new HttpErrors.Conflict(
          'None of your servers runs and there is no default template to start (DEFAULT_TEMPLATE_ID, or the last template you launched): launch one, then open the file again',
        ),
        {code: 'no_default_template'},
      );
    }
    return this.templates.get(readable[0].record._id!);
  }
}
