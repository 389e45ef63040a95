import {expect} from '@loopback/testlab';
import {loadConfig} from '../../src/config';
import {ServerLimitsService} from '../../src/kinds/server/server-limits.service';
import type {HubServer} from '../../src/services/hub/jupyterhub.service';

const limitsWith = (env: Record<string, string>) => new ServerLimitsService(loadConfig(env));
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const NOW = Date.parse('2026-12-01T12:00:00Z');
const ago = (ms: number) => new Date(NOW - ms).toISOString();
/** The hub's view of a running server, its times written as JupyterHub writes them (microseconds, Z). */
const hubServer = (times: {started?: string | null; last_activity?: string | null}): HubServer => ({
  name: 's',
  ready: true,
  pending: null,
  url: '/user/u/s/',
  ...Object.fromEntries(Object.entries(times).map(([k, v]) => [k, typeof v === 'string' ? v.replace('Z', '123Z') : v])),
});

describe('ServerLimitsService', () => {
  it('gives templates that set nothing the operator\'s defaults: an hour idle, no lifetime', () => {
    expect(limitsWith({}).limitsOf({})).to.deepEqual({idleMs: 60 * MINUTE, lifetimeMs: undefined});
    expect(limitsWith({IDLE_TIMEOUT_MINUTES: '0', MAX_LIFETIME_HOURS: '8'}).limitsOf({})).to.deepEqual({idleMs: undefined, lifetimeMs: 8 * HOUR});
  });

  it('lets a template shorten or lengthen within the caps, and counts a value above a cap lowered since as the cap', () => {
    const limits = limitsWith({IDLE_TIMEOUT_MAX_MINUTES: '120', MAX_LIFETIME_HOURS: '12'});
    expect(limits.limitsOf({idleTimeoutMinutes: 0.05, maxLifetimeHours: 2})).to.deepEqual({idleMs: 3000, lifetimeMs: 2 * HOUR});
    expect(limits.limitsOf({idleTimeoutMinutes: 500, maxLifetimeHours: 100})).to.deepEqual({idleMs: 120 * MINUTE, lifetimeMs: 12 * HOUR});
    // Without an operator lifetime, a template's own holds.
    expect(limitsWith({}).limitsOf({maxLifetimeHours: 100}).lifetimeMs).to.equal(100 * HOUR);
  });

  it('refuses values past the caps with 400 validation_failed naming the field and the cap', () => {
    const limits = limitsWith({IDLE_TIMEOUT_MAX_MINUTES: '30', MAX_LIFETIME_HOURS: '4'});
    let error: {statusCode?: number; code?: string; message?: string; details?: Array<{path: string}>} = {};
    try {
      limits.assertWithinCaps({idleTimeoutMinutes: 31, maxLifetimeHours: 4.5});
    } catch (err) {
      error = err as typeof error;
    }
    expect(error).to.containDeep({statusCode: 400, code: 'validation_failed'});
    expect(error.message).to.match(/IDLE_TIMEOUT_MAX_MINUTES \(30\)/);
    expect(error.message).to.match(/MAX_LIFETIME_HOURS \(4\)/);
    expect(error.details!.map(d => d.path)).to.deepEqual(['/idleTimeoutMinutes', '/maxLifetimeHours']);
    expect(() => limits.assertWithinCaps({idleTimeoutMinutes: 30, maxLifetimeHours: 4})).not.to.throw();
    // No operator lifetime: no cap on a template's.
    expect(() => limitsWith({}).assertWithinCaps({maxLifetimeHours: 1000})).not.to.throw();
  });

  it('finds a server idle from the hub\'s last activity, and past its lifetime from the API\'s start before the hub\'s', () => {
    const limits = limitsWith({});
    const rule = {idleMs: 10 * MINUTE, lifetimeMs: 2 * HOUR};
    expect(limits.dueReason(rule, new Date(NOW - HOUR), hubServer({started: ago(HOUR), last_activity: ago(5 * MINUTE)}), NOW)).to.be.undefined();
    expect(limits.dueReason(rule, new Date(NOW - HOUR), hubServer({started: ago(HOUR), last_activity: ago(11 * MINUTE)}), NOW)).to.equal('idle');
    // In use, but started by the API longer ago than its lifetime (the hub's start time is later: a restart the API did not ask for).
    expect(limits.dueReason(rule, new Date(NOW - 3 * HOUR), hubServer({started: ago(HOUR), last_activity: ago(MINUTE)}), NOW)).to.equal('lifetime');
    // A server started before the API kept its own start time: the hub's.
    expect(limits.dueReason(rule, undefined, hubServer({started: ago(3 * HOUR), last_activity: ago(MINUTE)}), NOW)).to.equal('lifetime');
    // No activity known: idle since it started.
    expect(limits.dueReason(rule, new Date(NOW - 20 * MINUTE), hubServer({started: null, last_activity: null}), NOW)).to.equal('idle');
    expect(limits.dueReason({}, new Date(NOW - 1000 * HOUR), hubServer({last_activity: ago(1000 * HOUR)}), NOW)).to.be.undefined();
  });
});
