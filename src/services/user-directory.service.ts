import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {User} from '../models/user.model';
import {UserRepository} from '../repositories/user.repository';
import {AccessTokenVerifierService} from './access-token-verifier.service';
import {Caller, IdentityService} from './identity.service';

/** The people who have signed in, as their identity provider last described them. */
@injectable({scope: BindingScope.SINGLETON})
export class UserDirectoryService {
  constructor(
    @repository(UserRepository) private readonly users: UserRepository,
    @service(AccessTokenVerifierService)
    private readonly verifier: AccessTokenVerifierService,
    @service(IdentityService) private readonly identity: IdentityService,
  ) {}

  /**
   * Records a sign-in from the access token just issued, read exactly as a
   * request bearing it would be: a token the API would refuse fails here.
   */
  async recordSignIn(accessToken: string): Promise<User> {
    const caller = this.identity.callerFromClaims(
      await this.verifier.verify(accessToken),
    );
    return this.upsert(caller);
  }

  async upsert(caller: Caller, now = new Date()): Promise<User> {
    const fields = {
      username: caller.username,
      name: caller.name,
      organisation: caller.organisation,
      lastSeen: now,
    };
    const existing = await this.users.findOne({where: {email: caller.email}});
    if (existing) {
      await this.users.updateById(existing._id, fields);
      return Object.assign(existing, fields);
    }
    return this.users.create({email: caller.email, firstSeen: now, ...fields});
  }
}
