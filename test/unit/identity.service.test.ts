import {expect} from '@loopback/testlab';
import {loadConfig} from '../../src/config';
import {IdentityService} from '../../src/services/identity/identity.service';

describe('IdentityService', () => {
  const identity = (env: Record<string, string> = {}) => new IdentityService(loadConfig(env));

  it('takes the identity from the email claim, lower-cased', () => {
    const caller = identity().personFromClaims({email: 'Alice@Example.ORG', name: 'Alice'});
    expect(caller).to.containDeep({email: 'alice@example.org', username: 'alice@example.org', name: 'Alice'});
  });

  it('reads the email from a configured claim', () => {
    const caller = identity({OIDC_EMAIL_CLAIM: 'preferred_username'}).personFromClaims({preferred_username: 'bob@lab.org'});
    expect(caller.email).to.equal('bob@lab.org');
  });

  it('refuses claims without a valid email with 401, before anything else', () => {
    expect(() => identity().callerFromClaims({})).to.throw({statusCode: 401});
    expect(() => identity().personFromClaims({email: 'not-an-email'})).to.throw(/no valid email/);
    expect(() => identity().personFromClaims({})).to.throw({statusCode: 401});
  });

  it('takes the organisation from the email domain unless a claim is configured', () => {
    expect(identity().personFromClaims({email: 'a@uni.edu'}).organisation).to.equal('uni.edu');
    const withClaim = identity({OIDC_ORG_CLAIM: 'org'});
    expect(withClaim.personFromClaims({email: 'a@uni.edu', org: 'Physics Lab'}).organisation).to.equal('Physics Lab');
    expect(withClaim.personFromClaims({email: 'a@uni.edu', org: ['Chemistry']}).organisation).to.equal('Chemistry');
    expect(withClaim.personFromClaims({email: 'a@uni.edu'}).organisation).to.equal('uni.edu');
  });

  it('makes admins from a role claim value, including a nested Keycloak claim', () => {
    expect(identity().personFromClaims({email: 'a@x.org', roles: ['admin']}).admin).to.be.true();
    expect(identity().personFromClaims({email: 'a@x.org', roles: ['user']}).admin).to.be.false();
    const keycloak = identity({OIDC_ADMIN_CLAIM: 'realm_access.roles', OIDC_ADMIN_VALUES: 'hub-admin,ops'});
    expect(keycloak.personFromClaims({email: 'a@x.org', realm_access: {roles: ['ops']}}).admin).to.be.true();
    expect(keycloak.personFromClaims({email: 'a@x.org', realm_access: {roles: ['admin']}}).admin).to.be.false();
  });

  it('makes admins from the configured list of emails', () => {
    expect(identity({ADMIN_EMAILS: 'boss@x.org'}).personFromClaims({email: 'Boss@x.org'}).admin).to.be.true();
  });

  it('derives the hub user name by the configured rule', () => {
    expect(identity().hubUsername('Alice.Smith@Example.org')).to.equal('alice.smith@example.org');
    expect(identity({HUB_USERNAME_RULE: 'localpart'}).hubUsername('Alice.Smith@Example.org')).to.equal('alice.smith');
  });
  it('refuses a token that does not say the email is verified with 403 email_not_verified, unless told not to', () => {
    expect(() => identity().callerFromClaims({email: 'a@uni.edu', email_verified: false})).to.throw({statusCode: 403, code: 'email_not_verified'});
    expect(() => identity().callerFromClaims({email: 'a@uni.edu', email_verified: 'false'})).to.throw({statusCode: 403});
    expect(identity().callerFromClaims({email: 'a@uni.edu', email_verified: true}).email).to.equal('a@uni.edu');
    expect(() => identity().callerFromClaims({email: 'a@uni.edu'})).to.throw({statusCode: 403, code: 'email_not_verified'});
    expect(identity({OIDC_REQUIRE_VERIFIED_EMAIL: 'false'}).callerFromClaims({email: 'a@uni.edu'}).email).to.equal('a@uni.edu');
    expect(identity({OIDC_REQUIRE_VERIFIED_EMAIL: 'false'}).callerFromClaims({email: 'a@uni.edu', email_verified: false}).email).to.equal('a@uni.edu');
  });
});
