import {BindingScope, injectable, service} from '@loopback/core';
import {repository} from '@loopback/repository';
import {HttpErrors} from '@loopback/rest';
import {User} from '../../models/user.model';
import {UserRepository} from '../../repositories/user.repository';
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
   * Records a sign-in (or a refresh) from the access token just issued, read
   * exactly as a request bearing it would be: a token the API would refuse
   * fails here, as does an ID token that does not say the email is verified.
   */
  async recordSignIn(accessToken: string, idTokenClaims: Record<string, unknown> = {}): Promise<User> {
    // A refresh may come without an ID token; the access token is held to the same rule below.
    if (Object.keys(idTokenClaims).length > 0) this.identity.requireVerifiedEmail(idTokenClaims);
    const caller = this.identity.callerFromClaims(
      await this.verifier.verify(accessToken),
    );
    return this.upsert(caller);
  }

  /**
   * Someone as the access rules see them when they are not the caller (the
   * owner of a server another person starts): as they last signed in, or
   * from their email alone. Admin only through ADMIN_EMAILS: roles come
   * with a live token.
   */
  async asCaller(email: string): Promise<Caller> {
    const caller = this.identity.personFromClaims({[this.identity.emailClaim]: email});
    const known = await this.users.findOne({where: {email: caller.email}});
    return {...caller, organisation: known?.organisation ?? caller.organisation, name: known?.name};
  }

  /** Remembers the template of the server a person just started: their files open in it when nothing of theirs runs. */
  async rememberLaunch(caller: Caller, templateId: string): Promise<void> {
    const {count} = await this.users.updateAll({lastTemplateId: templateId}, {email: caller.email});
    if (count === 0) await this.users.updateById((await this.upsert(caller))._id, {lastTemplateId: templateId});
  }

  /** The template of the server the person last started, if any. */
  async lastLaunched(email: string): Promise<string | undefined> {
    return (await this.users.findOne({where: {email}, fields: {lastTemplateId: true}}))?.lastTemplateId;
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
    try {
      return await this.users.create({email: caller.email, firstSeen: now, ...fields});
    } catch (err) {
      // Another sign-in of the same person recorded them meanwhile (emails are unique in the store): that record is updated.
      if (!(err instanceof HttpErrors.Conflict)) throw err;
      return this.upsert(caller, now);
    }
  }
}
