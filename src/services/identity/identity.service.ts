import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import {securityId, UserProfile} from '@loopback/security';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {normaliseEmail} from '../../validation';

/** Who is calling, as every controller and service sees it. */
export interface Caller extends UserProfile {
  email: string;
  /** The caller's JupyterHub user name (see HUB_USERNAME_RULE). */
  username: string;
  name?: string;
  organisation: string;
  admin: boolean;
  /** Set for the hub's spawner (SPAWNER_TOKEN), which is no person and may call only its own route. */
  spawner?: true;
}

/**
 * Turns verified token claims into a Caller: identity from the email claim,
 * organisation from a claim or the email's domain, admin from a role claim or
 * the configured admin emails.
 */
@injectable({scope: BindingScope.SINGLETON})
export class IdentityService {
  private readonly oidc: AppConfig['oidc'];
  private readonly usernameRule: AppConfig['hubUsernameRule'];

  constructor(@inject(AppBindings.CONFIG) config: AppConfig) {
    this.oidc = config.oidc;
    this.usernameRule = config.hubUsernameRule;
  }

  /** The caller a token names, once the token says the email is verified. */
  callerFromClaims(claims: Record<string, unknown>): Caller {
    const caller = this.personFromClaims(claims);
    this.requireVerifiedEmail(claims);
    return caller;
  }

  /** A person as claims name them, with no proof about the email: for people other than the caller. */
  personFromClaims(claims: Record<string, unknown>): Caller {
    const email = normaliseEmail(claimAt(claims, this.oidc.emailClaim));
    if (email === undefined) {
      throw new HttpErrors.Unauthorized(
        `The access token carries no valid email in its "${this.oidc.emailClaim}" claim`,
      );
    }
    const name = claimAt(claims, 'name');
    return {
      [securityId]: email,
      email,
      username: this.hubUsername(email),
      name: typeof name === 'string' ? name : undefined,
      organisation: this.organisationOf(claims, email),
      admin: this.isAdmin(claims, email),
    };
  }

  /**
   * With OIDC_REQUIRE_VERIFIED_EMAIL, a token must say `email_verified: true`:
   * the email is the identity, and a provider letting people type any
   * address would let them be anyone. A token without the claim is refused
   * too, since a token taken from the provider directly would otherwise be
   * anyone's; providers put it in access tokens (Keycloak's email scope does).
   */
  requireVerifiedEmail(claims: Record<string, unknown>): void {
    if (!this.oidc.requireVerifiedEmail) return;
    const verified = claims.email_verified;
    if (verified === true || verified === 'true') return;
    const message =
      verified === undefined
        ? 'The token does not say that this email address is verified (email_verified): the identity provider must put the claim in its tokens'
        : 'The identity provider says this email address is not verified: verify it there, then sign in again';
    throw Object.assign(new HttpErrors.Forbidden(message), {code: 'email_not_verified'});
  }

  /** The JupyterHub user name of a person: one rule, used everywhere. */
  get emailClaim(): string {
    return this.oidc.emailClaim;
  }

  hubUsername(email: string): string {
    const lower = email.toLowerCase();
    return this.usernameRule === 'localpart' ? lower.split('@')[0] : lower;
  }

  private organisationOf(claims: Record<string, unknown>, email: string): string {
    if (this.oidc.orgClaim) {
      const value = claimAt(claims, this.oidc.orgClaim);
      const org = Array.isArray(value) ? value[0] : value;
      if (typeof org === 'string' && org.trim() !== '') return org.trim();
    }
    return email.split('@')[1];
  }

  private isAdmin(claims: Record<string, unknown>, email: string): boolean {
    if (this.oidc.adminEmails.includes(email)) return true;
    const value = claimAt(claims, this.oidc.adminClaim);
    const values = Array.isArray(value) ? value : [value];
    return values.some(
      v => typeof v === 'string' && this.oidc.adminValues.includes(v),
    );
  }
}

/** Reads a claim by a dotted path, as Keycloak nests roles in `realm_access.roles`. */
function claimAt(claims: Record<string, unknown>, claimPath: string): unknown {
  if (claimPath in claims) return claims[claimPath];
  let value: unknown = claims;
  for (const part of claimPath.split('.')) {
    if (value === null || typeof value !== 'object') return undefined;
    value = (value as Record<string, unknown>)[part];
  }
  return value;
}
