/**
 * The launcher's decisions, apart from the page: what a sign-in redirect
 * means, how templates are grouped, how the progress stream is read, what
 * each server offers. No DOM here, so the unit tests run it as it is.
 */

/** What POST /auth/token answers; kept in sessionStorage. */
export interface Tokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** Seconds since the epoch. */
  expires_at?: number;
}

export interface Template {
  _id: string;
  name: string;
  description: string;
  applicationType: string;
  hardware: string;
  type: 'featured' | 'quick-launch' | 'custom';
  creator?: string;
  tags?: string[];
}

export type ServerStatus = 'stopped' | 'starting' | 'running' | 'stopping';

export interface Server {
  _id: string;
  name: string;
  owner: string;
  templateId: string;
  status: ServerStatus;
  lastError?: string | null;
  url?: string;
  /** Why the API stopped it by itself: idle past its template's timeout, or running past its lifetime. */
  stoppedReason?: 'idle' | 'lifetime' | null;
  stoppedAt?: string | null;
  statusChangedAt?: string;
}

/** One event of GET /servers/{id}/progress. */
export interface ProgressEvent {
  progress: number;
  message: string;
  ready?: true;
  url?: string;
  failed?: true;
  reconnect?: true;
}

/** What the page does with the query it was opened with. */
export type SignInStep =
  | {kind: 'none'}
  | {kind: 'failed'; message: string}
  | {kind: 'foreign'}
  | {kind: 'redeem'; body: {code: string; state: string; iss?: string}};

/**
 * A redirect back from the provider is redeemed only when its state is the
 * one of the sign-in this page started: a code and state it did not start
 * (a link someone sent, a login CSRF) would sign this browser in as them.
 */
export function signInStep(search: string, pendingState: string | null): SignInStep {
  const params = new URLSearchParams(search);
  if (params.has('error')) {
    return {kind: 'failed', message: `Sign-in failed: ${params.get('error')} ${params.get('error_description') ?? ''}`.trim()};
  }
  const code = params.get('code');
  const state = params.get('state');
  if (code === null || state === null) return {kind: 'none'};
  if (!pendingState || state !== pendingState) return {kind: 'foreign'};
  const iss = params.get('iss');
  return {kind: 'redeem', body: {code, state, ...(iss !== null ? {iss} : {})}};
}

/** Whether the address carries a sign-in redirect's parameters, which leave it at once. */
export function hasSignInParameters(search: string): boolean {
  const params = new URLSearchParams(search);
  return params.has('code') || params.has('state') || params.has('error');
}

/** The file an `?open=` link asks for, if any: a path in the person's home. */
export function fileToOpen(search: string): string | undefined {
  const path = new URLSearchParams(search).get('open')?.trim();
  return path ? path : undefined;
}

/** Tokens that expire within `marginSeconds` are refreshed before they are used. */
export function needsRefresh(tokens: Tokens, nowMs: number, marginSeconds = 30): boolean {
  return tokens.expires_at !== undefined && tokens.expires_at * 1000 - nowMs < marginSeconds * 1000;
}

export interface TemplateGroups {
  featured: Template[];
  quickLaunch: Template[];
  own: Template[];
  shared: Template[];
}

/** Featured and quick-launch templates first, then one's own, then those others share with one. */
export function groupTemplates(templates: Template[], email: string): TemplateGroups {
  const groups: TemplateGroups = {featured: [], quickLaunch: [], own: [], shared: []};
  for (const template of templates) {
    if (template.type === 'featured') groups.featured.push(template);
    else if (template.type === 'quick-launch') groups.quickLaunch.push(template);
    else if (template.creator === email) groups.own.push(template);
    else groups.shared.push(template);
  }
  return groups;
}

/**
 * Splits what a text/event-stream sent so far into complete events (the
 * JSON of their `data:` lines) and the part still to come. Comments
 * (heartbeats), `retry:` and other fields carry no event data.
 */
export function parseEventStream(buffer: string): {events: ProgressEvent[]; rest: string} {
  const normalised = buffer.replace(/\r\n?/g, '\n');
  const blocks = normalised.split('\n\n');
  const rest = blocks.pop() ?? '';
  const events: ProgressEvent[] = [];
  for (const block of blocks) {
    const data = block
      .split('\n')
      .filter(line => line.startsWith('data:'))
      .map(line => line.slice(5).replace(/^ /, ''))
      .join('\n');
    if (data) events.push(JSON.parse(data) as ProgressEvent);
  }
  return {events, rest};
}

/** How the end of a progress stream reads; undefined while the start goes on. */
export function progressOutcome(event: ProgressEvent): 'ready' | 'failed' | 'reconnect' | undefined {
  if (event.ready) return 'ready';
  if (event.failed) return 'failed';
  if (event.reconnect) return 'reconnect';
  return undefined;
}

export type ServerAction = 'open' | 'start' | 'stop' | 'delete';

/** What a server of one's own offers in its state: a server stopping is left to finish. */
export function serverActions(server: Server): ServerAction[] {
  switch (server.status) {
    case 'running':
      return server.url ? ['open', 'stop', 'delete'] : ['stop', 'delete'];
    case 'starting':
      return ['stop', 'delete'];
    case 'stopped':
      return ['start', 'delete'];
    case 'stopping':
      return [];
  }
}

/** Why a stopped server was stopped by the API, in words; undefined when a person stopped it (or it never ran). */
export function stopNote(server: Server, formatTime: (iso: string) => string): string | undefined {
  if (server.status !== 'stopped' || !server.stoppedReason) return undefined;
  const when = server.stoppedAt ? ` on ${formatTime(server.stoppedAt)}` : '';
  return server.stoppedReason === 'idle' ? `Stopped for being idle${when}.` : `Stopped at the end of its lifetime${when}.`;
}

const STATUS_WORDS: Record<ServerStatus, string> = {
  stopped: 'Stopped',
  starting: 'Starting',
  running: 'Running',
  stopping: 'Stopping',
};

export function statusLabel(status: ServerStatus): string {
  return STATUS_WORDS[status];
}

/**
 * Whether a list of servers has one whose status is about to change by
 * itself, so it is read again soon: one starting or stopping, or one asked
 * to stop (`stopAsked`) that is not stopped yet; a stop the hub did not
 * answer in time (504) may still be carried out, and the API then shows it.
 */
export function isSettling(servers: Server[], stopAsked: ReadonlySet<string> = new Set()): boolean {
  return servers.some(
    server => server.status === 'starting' || server.status === 'stopping' || (stopAsked.has(server._id) && server.status !== 'stopped'),
  );
}

/** The message of an API error answer (`{error: {message, code}}`), or what the status says. */
export function errorMessage(status: number, body: unknown, statusText = ''): string {
  const error = (body as {error?: {message?: unknown}} | null)?.error;
  if (error && typeof error.message === 'string') return error.message;
  return `${status} ${statusText}`.trim();
}

/** The stable code of an API error answer, if it has one. */
export function errorCode(body: unknown): string | undefined {
  const code = (body as {error?: {code?: unknown}} | null)?.error?.code;
  return typeof code === 'string' ? code : undefined;
}
