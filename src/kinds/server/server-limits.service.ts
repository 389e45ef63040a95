import {BindingScope, inject, injectable} from '@loopback/core';
import type {CullingConfig, AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import type {StoppedReason} from './server.model';
import type {Template} from '../template/template.model';
import {FieldProblem, invalidFields} from '../../utils/api-error.util';
import type {HubServer} from '../../services/hub/jupyterhub.service';

/** What a template says of how long its servers may sit idle and run. */
export type TemplateLimits = Partial<Pick<Template, 'idleTimeoutMinutes' | 'maxLifetimeHours'>>;

/** A template's limits as they apply, in milliseconds; undefined: no such limit. */
export interface EffectiveLimits {
  idleMs?: number;
  lifetimeMs?: number;
}

const MINUTE_MS = 60_000;
const HOUR_MS = 60 * MINUTE_MS;

/**
 * How long servers may sit idle and run: a template's own values within the
 * operator's caps, else the operator's defaults (IDLE_TIMEOUT_MINUTES,
 * IDLE_TIMEOUT_MAX_MINUTES, MAX_LIFETIME_HOURS). Templates are checked
 * against the caps when written; a value stored under a cap since lowered
 * counts as the cap.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ServerLimitsService {
  private readonly culling: CullingConfig;

  constructor(@inject(AppBindings.CONFIG) config: AppConfig) {
    this.culling = config.hub.culling;
  }

  /** 400 naming the operator's cap that a template's value goes past. */
  assertWithinCaps(template: TemplateLimits): void {
    const {idleTimeoutMaxMinutes, maxLifetimeHours} = this.culling;
    const problems: FieldProblem[] = [];
    if (template.idleTimeoutMinutes !== undefined && template.idleTimeoutMinutes > idleTimeoutMaxMinutes) {
      problems.push({
        path: '/idleTimeoutMinutes',
        code: 'maximum',
        message: `must be at most IDLE_TIMEOUT_MAX_MINUTES (${idleTimeoutMaxMinutes}), the longest idle timeout this service allows`,
      });
    }
    if (template.maxLifetimeHours !== undefined && maxLifetimeHours > 0 && template.maxLifetimeHours > maxLifetimeHours) {
      problems.push({
        path: '/maxLifetimeHours',
        code: 'maximum',
        message: `must be at most MAX_LIFETIME_HOURS (${maxLifetimeHours}), the longest lifetime this service allows`,
      });
    }
    if (problems.length > 0) throw invalidFields(problems);
  }

  /** The limits servers of a template run under. */
  limitsOf(template: TemplateLimits): EffectiveLimits {
    const {idleTimeoutMinutes, idleTimeoutMaxMinutes, maxLifetimeHours} = this.culling;
    const idleMinutes = template.idleTimeoutMinutes !== undefined ? Math.min(template.idleTimeoutMinutes, idleTimeoutMaxMinutes) : idleTimeoutMinutes;
    const lifetimeHours =
      template.maxLifetimeHours === undefined
        ? maxLifetimeHours
        : maxLifetimeHours > 0
          ? Math.min(template.maxLifetimeHours, maxLifetimeHours)
          : template.maxLifetimeHours;
    return {
      idleMs: idleMinutes > 0 ? idleMinutes * MINUTE_MS : undefined,
      lifetimeMs: lifetimeHours > 0 ? lifetimeHours * HOUR_MS : undefined,
    };
  }

  /**
   * Why a running server is due to be stopped at `now`, if it is: alive past
   * its lifetime, counted from when the API started it (the hub's start
   * time for servers started before the API kept its own), or idle past its
   * timeout, counted from the hub's last activity of that server.
   */
  dueReason(limits: EffectiveLimits, startedAt: Date | string | null | undefined, hub: HubServer, now: number): StoppedReason | undefined {
    const started = timeOf(startedAt) ?? timeOf(hub.started);
    if (limits.lifetimeMs !== undefined && started !== undefined && now - started > limits.lifetimeMs) return 'lifetime';
    const active = timeOf(hub.last_activity) ?? started;
    if (limits.idleMs !== undefined && active !== undefined && now - active > limits.idleMs) return 'idle';
    return undefined;
  }
}

/** Milliseconds since the epoch of a date or an ISO 8601 time, or undefined without one. */
function timeOf(value: Date | string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  const time = new Date(value).getTime();
  return Number.isNaN(time) ? undefined : time;
}
