import {BindingScope, inject, injectable, service} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {normaliseEmail} from '../../validation';
import {FileSystemService} from '../files/file-system.service';
import {FileModel, VolumeService} from '../files/volume.service';
import type {Caller} from '../identity/identity.service';
import {IdentityService} from '../identity/identity.service';
import {JupyterHubService} from './jupyterhub.service';

export interface InitializedUser {
  email: string;
  username: string;
  hubUserCreated: boolean;
  homeCreated: boolean;
}

/** A person's JupyterHub account and home folder, created on demand (PUT /initialize). */
@injectable({scope: BindingScope.SINGLETON})
export class HubUserService {
  constructor(
    @inject(AppBindings.CONFIG) private readonly config: AppConfig,
    @service(JupyterHubService) private readonly hub: JupyterHubService,
    @service(IdentityService) private readonly identity: IdentityService,
    @service(FileSystemService) private readonly files: FileSystemService,
    @service(VolumeService) private readonly volumes: VolumeService,
  ) {}

  /** Idempotent: what exists already is left as it is. */
  async initialize(emailParam: string): Promise<InitializedUser> {
    const email = normaliseEmail(emailParam);
    if (!email) throw new HttpErrors.BadRequest(`email "${emailParam}" is not an email`);
    const username = this.identity.hubUsername(email);
    const hubUserCreated = await this.hub.ensureUser(username);
    const homeCreated = await this.files.ensureHome(username);
    return {email, username, hubUserCreated, homeCreated};
  }

  /**
   * The openBIS ELN's form: a notebook into `folder/filename` of the
   * caller's home, written as POST /volume/file writes it. The user must
   * already exist on the hub.
   */
  async writeForEln(caller: Caller, notebook: unknown, folder?: string, filename?: string): Promise<FileModel> {
    if (!filename) throw new HttpErrors.BadRequest('filename is required with token');
    if ((await this.hub.user(caller.username)) === undefined) {
      throw new HttpErrors.NotFound(
        `The user ${caller.username} does not exist on JupyterHub: users are not created by the ELN, sign in to the Notebooks Hub once first`,
      );
    }
    return this.volumes.write(this.volumes.root(caller, undefined), {type: 'notebook', name: filename, path: folder, content: notebook});
  }

  /** The home folder of a hub user, confined to HOMES_ROOT. */
  home(username: string): string {
    return this.files.inside(this.config.homesRoot, username);
  }
}
