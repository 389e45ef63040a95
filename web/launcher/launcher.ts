/**
 * The launcher at `/`: sign in, launch templates with live progress, open
 * and manage one's servers, and open the files the ELN links to
 * (`?open=<path>`). It calls the public API as any client does, with the
 * bearer token kept in this tab's sessionStorage.
 */
import {
  errorCode,
  errorMessage,
  fileToOpen,
  groupTemplates,
  hasSignInParameters,
  isSettling,
  needsRefresh,
  parseEventStream,
  ProgressEvent,
  progressOutcome,
  Server,
  ServerAction,
  serverActions,
  signInStep,
  stopNote,
  statusLabel,
  Template,
  Tokens,
} from './launcher-logic.js';

const TOKENS = 'notebooks-hub-tokens';
/** The state of the sign-in this page started: only that one is redeemed. */
const PENDING = 'notebooks-hub-pending-sign-in';
/** A file an `?open=` link asked for, kept across the sign-in it may need. */
const OPEN = 'notebooks-hub-open';
/** How often servers are read again while one of them is starting or stopping. */
const SETTLING_POLL_MS = 2000;

class ApiError extends Error {
  constructor(readonly status: number, message: string, readonly code?: string) {
    super(message);
  }
}

const element = <T extends HTMLElement = HTMLElement>(id: string): T => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found as T;
};

function make<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  text?: string,
): HTMLElementTagNameMap[K] {
  const made = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) made.setAttribute(name, value);
  if (text !== undefined) made.textContent = text;
  return made;
}

// --- Messages ------------------------------------------------------------------

function announce(message: string): void {
  element('status').textContent = message;
}

function showError(message: string): void {
  const alert = element('alert');
  alert.textContent = message;
  alert.hidden = false;
}

function clearError(): void {
  element('alert').hidden = true;
}

// --- Tokens and calls to the API ------------------------------------------------

function storedTokens(): Tokens | null {
  return JSON.parse(sessionStorage.getItem(TOKENS) ?? 'null') as Tokens | null;
}

function storeTokens(tokens: Tokens | null): void {
  if (tokens) sessionStorage.setItem(TOKENS, JSON.stringify(tokens));
  else sessionStorage.removeItem(TOKENS);
}

/** Paths are relative to the page, so the launcher works under a PUBLIC_URL with a path. */
const relative = (path: string) => path.replace(/^\//, '');

async function send(method: string, path: string, body?: unknown, token?: string): Promise<Response> {
  const headers: Record<string, string> = {Accept: 'application/json'};
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  if (token) headers.Authorization = `Bearer ${token}`;
  return fetch(relative(path), {method, headers, body: body === undefined ? undefined : JSON.stringify(body)});
}

async function answerOf<T>(response: Response): Promise<T> {
  const body: unknown = response.status === 204 ? null : await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, errorMessage(response.status, body, response.statusText), errorCode(body));
  return body as T;
}

/** A call without a token (the sign-in routes). */
async function publicCall<T>(method: string, path: string, body?: unknown): Promise<T> {
  return answerOf<T>(await send(method, path, body));
}

let refreshing: Promise<Tokens> | undefined;

/** New tokens from the refresh token; one refresh at a time, whatever the number of calls waiting. */
function refreshTokens(): Promise<Tokens> {
  refreshing ??= (async () => {
    const tokens = storedTokens();
    if (!tokens?.refresh_token) throw new ApiError(401, 'No refresh token');
    const fresh = await publicCall<Tokens>('POST', '/auth/refresh', {refresh_token: tokens.refresh_token});
    const kept = {...tokens, ...fresh};
    storeTokens(kept);
    return kept;
  })().finally(() => (refreshing = undefined));
  return refreshing;
}

async function accessToken(): Promise<string> {
  const tokens = storedTokens();
  if (!tokens) throw new ApiError(401, 'Not signed in');
  if (needsRefresh(tokens, Date.now())) return (await refreshTokens().catch(sessionExpired)).access_token;
  return tokens.access_token;
}

/** The sign-in ran out and cannot be renewed: back to Sign in, keeping a file still to open. */
function sessionExpired(): never {
  storeTokens(null);
  showSignedOut();
  showError('Your sign-in has expired: sign in again.');
  throw new ApiError(401, 'Your sign-in has expired: sign in again.');
}

/** A call with the caller's token; a token refused as expired is refreshed once. */
async function authorisedResponse(method: string, path: string, body?: unknown): Promise<Response> {
  const response = await send(method, path, body, await accessToken());
  if (response.status !== 401) return response;
  const fresh = await refreshTokens().catch(sessionExpired);
  return send(method, path, body, fresh.access_token);
}

async function call<T>(method: string, path: string, body?: unknown): Promise<T> {
  return answerOf<T>(await authorisedResponse(method, path, body));
}

/** Runs an action of the page; its failure is shown, never lost. */
function guarded<A extends unknown[]>(action: (...args: A) => Promise<unknown>): (...args: A) => void {
  return (...args) => {
    clearError();
    action(...args).catch((err: Error) => showError(err.message));
  };
}

// --- Sign-in ------------------------------------------------------------------------

function showSignedOut(): void {
  element('signed-out').hidden = false;
  element('signed-in').hidden = true;
  element('account').hidden = true;
  const pending = sessionStorage.getItem(OPEN);
  if (pending) announce(`Sign in to open ${pending}.`);
}

async function signIn(): Promise<void> {
  const redirectUri = location.origin + location.pathname;
  const {authorizationUrl} = await publicCall<{authorizationUrl: string}>('POST', '/auth/authorize', {redirect_uri: redirectUri});
  sessionStorage.setItem(PENDING, new URL(authorizationUrl).searchParams.get('state') ?? '');
  location.assign(authorizationUrl);
}

async function signOut(): Promise<void> {
  const idToken = storedTokens()?.id_token;
  storeTokens(null);
  sessionStorage.removeItem(OPEN);
  const {logoutUrl} = await publicCall<{logoutUrl: string}>('POST', '/auth/logout', {id_token: idToken});
  location.assign(logoutUrl);
}

// --- State of the signed-in page ---------------------------------------------------

let me: {email: string; name?: string} | undefined;
let templates: Template[] = [];
let servers: Server[] = [];
/** Servers whose progress stream this page follows, with what it last said. */
const progressOf = new Map<string, ProgressEvent>();
/** A file waiting for a server: opened once a launch from this page is ready. */
let fileWaiting: string | undefined;
let settlingTimer: number | undefined;
/** Servers asked to stop from this page, followed until they are stopped. */
const stopAsked = new Set<string>();

async function showSignedIn(): Promise<void> {
  element('signed-out').hidden = true;
  element('signed-in').hidden = false;
  me = await call<{email: string; name?: string}>('GET', '/whoami');
  element('who').textContent = `Signed in as ${me.name ? `${me.name} (${me.email})` : me.email}`;
  element('account').hidden = false;
  const pending = sessionStorage.getItem(OPEN);
  const opening = pending ? openFile(pending) : Promise.resolve();
  await Promise.all([loadServers(), loadTemplates(), loadTemplateOptions().catch((err: Error) => showError(err.message)), opening]);
}

// --- Templates ----------------------------------------------------------------------

async function loadTemplates(): Promise<void> {
  templates = await call<Template[]>('GET', '/templates');
  const groups = groupTemplates(templates, me!.email);
  renderTemplates('featured', groups.featured, 'featured-section');
  renderTemplates('quick-launch', groups.quickLaunch, 'quick-launch-section');
  renderTemplates('own', groups.own);
  element('own-empty').hidden = groups.own.length > 0;
  renderTemplates('shared', groups.shared, 'shared-section');
  // Servers name their template.
  renderServers();
}

function renderTemplates(listId: string, shown: Template[], sectionId?: string): void {
  if (sectionId) element(sectionId).hidden = shown.length === 0;
  element(listId).replaceChildren(...shown.map(templateCard));
}

function templateCard(template: Template): HTMLLIElement {
  const card = make('li', {class: 'card'});
  const details = [template.applicationType, template.hardware, ...(template.tags ?? [])].join(' · ');
  const launch = make('button', {type: 'button', 'aria-label': `Launch ${template.name}`, 'data-template': template._id}, 'Launch');
  launch.addEventListener(
    'click',
    guarded(() => launchTemplate(template, launch)),
  );
  card.append(make('h3', {}, template.name), make('p', {}, template.description), make('p', {class: 'meta'}, details), launch);
  return card;
}

async function loadTemplateOptions(): Promise<void> {
  const [applications, hardware] = await Promise.all([
    call<string[]>('GET', '/volume/applications'),
    call<Array<{name: string; description: string}>>('GET', '/volume/hardware'),
  ]);
  element('template-application').replaceChildren(...applications.map(name => make('option', {value: name}, name)));
  element('template-hardware').replaceChildren(
    ...hardware.map(option => make('option', {value: option.name}, `${option.name}: ${option.description}`)),
  );
}

async function saveTemplate(form: HTMLFormElement): Promise<void> {
  const fields = new FormData(form);
  const name = String(fields.get('name')).trim();
  const created = await call<Template>('POST', '/template', {
    name,
    description: String(fields.get('description') ?? '').trim() || name,
    applicationType: String(fields.get('applicationType')),
    hardware: String(fields.get('hardware')),
    type: 'custom',
    public: false,
  });
  form.reset();
  await loadTemplates();
  announce(`Template ${created.name} saved.`);
  document.querySelector<HTMLButtonElement>(`button[data-template="${CSS.escape(created._id)}"]`)?.focus();
}

async function launchTemplate(template: Template, button: HTMLButtonElement): Promise<void> {
  button.disabled = true;
  try {
    announce(`Starting a server of ${template.name}…`);
    const server = await call<Server>('PUT', `/servers?templateId=${encodeURIComponent(template._id)}`);
    mergeServer(server);
    await watchStart(server, true);
  } finally {
    button.disabled = false;
  }
}

// --- Servers -------------------------------------------------------------------------

async function loadServers(): Promise<void> {
  servers = await call<Server[]>('GET', `/servers?owner=${encodeURIComponent(me!.email)}`);
  renderServers();
  for (const server of servers) {
    if (server.status === 'starting') watchStart(server, false).catch((err: Error) => showError(err.message));
  }
}

function mergeServer(server: Server): void {
  const index = servers.findIndex(known => known._id === server._id);
  if (index >= 0) servers[index] = server;
  else servers.push(server);
  renderServers();
}

interface ServerRow {
  item: HTMLLIElement;
  status: HTMLElement;
  meta: HTMLElement;
  note: HTMLElement;
  error: HTMLElement;
  progressBox: HTMLElement;
  progress: HTMLProgressElement;
  progressText: HTMLElement;
  actions: HTMLElement;
  actionsKey: string;
}

const rows = new Map<string, ServerRow>();

/** Rows are updated in place, so the focus stays where it is while statuses change. */
function renderServers(): void {
  const list = element('servers');
  const shown = new Set(servers.map(server => server._id));
  for (const [id, row] of rows) {
    if (!shown.has(id)) {
      row.item.remove();
      rows.delete(id);
    }
  }
  for (const server of servers) {
    let row = rows.get(server._id);
    if (!row) {
      row = serverRow(server);
      rows.set(server._id, row);
      list.append(row.item);
    }
    updateRow(row, server);
  }
  element('servers-empty').hidden = servers.length > 0;
  scheduleSettlingRefresh();
}

function serverRow(server: Server): ServerRow {
  const item = make('li', {class: 'server'});
  const headingId = `server-${server._id}`;
  const head = make('div', {class: 'server-head'});
  const status = make('span', {class: 'badge'});
  head.append(make('h3', {id: headingId}, server.name), status);
  const meta = make('p', {class: 'meta'});
  const note = make('p', {class: 'meta'});
  const error = make('p', {class: 'error'});
  const progressBox = make('div', {class: 'progress'});
  const progress = make('progress', {max: '100', value: '0', 'aria-label': `Start of ${server.name}`});
  const progressText = make('span');
  progressBox.append(progress, progressText);
  const actions = make('div', {class: 'actions', role: 'group', 'aria-labelledby': headingId});
  item.append(head, meta, note, error, progressBox, actions);
  return {item, status, meta, note, error, progressBox, progress, progressText, actions, actionsKey: ''};
}

function updateRow(row: ServerRow, server: Server): void {
  row.status.textContent = statusLabel(server.status);
  row.status.className = `badge ${server.status}`;
  const template = templates.find(known => known._id === server.templateId);
  row.meta.textContent = template ? `From ${template.name} (${template.applicationType}, ${template.hardware})` : '';
  const note = stopNote(server, iso => new Date(iso).toLocaleString());
  row.note.textContent = note ?? '';
  row.note.hidden = !note;
  row.error.textContent = server.lastError ? `Last error: ${server.lastError}` : '';
  row.error.hidden = !server.lastError;
  const progress = progressOf.get(server._id);
  row.progressBox.hidden = server.status !== 'starting';
  row.progress.value = progress?.progress ?? 0;
  row.progressText.textContent = progress?.message ?? 'Waiting for the hub…';
  const actions = serverActions(server);
  const key = `${actions.join()} ${server.url ?? ''}`;
  if (key === row.actionsKey) return;
  const hadFocus = row.actions.contains(document.activeElement);
  row.actionsKey = key;
  row.actions.replaceChildren(...actions.map(action => actionControl(action, server)));
  if (hadFocus) (row.actions.firstElementChild as HTMLElement | null)?.focus();
}

const ACTION_WORDS: Record<ServerAction, string> = {open: 'Open', start: 'Start', stop: 'Stop', delete: 'Delete'};

function actionControl(action: ServerAction, server: Server): HTMLElement {
  const label = `${ACTION_WORDS[action]} ${server.name}`;
  if (action === 'open')
    return make('a', {class: 'button primary', href: server.url!, 'aria-label': label, 'data-action': action}, ACTION_WORDS[action]);
  const button = make('button', {type: 'button', 'aria-label': label, 'data-action': action}, ACTION_WORDS[action]);
  button.addEventListener(
    'click',
    guarded(() => act(action, server, button)),
  );
  return button;
}

async function act(action: ServerAction, server: Server, button: HTMLButtonElement): Promise<void> {
  if (action === 'delete' && !confirm(`Delete the server ${server.name}? Files in your home stay.`)) return;
  button.disabled = true;
  try {
    if (action === 'start') {
      mergeServer(await call<Server>('PUT', `/servers/${encodeURIComponent(server._id)}/start`));
      announce(`Starting ${server.name}…`);
      await watchStart(server, true);
    } else if (action === 'stop') {
      stopAsked.add(server._id);
      announce(`Stopping ${server.name}…`);
      try {
        mergeServer(await call<Server>('PUT', `/servers/${encodeURIComponent(server._id)}/stop`));
      } finally {
        // Followed whatever the answer: a hub too slow to answer may stop it all the same.
        scheduleSettlingRefresh();
      }
    } else if (action === 'delete') {
      await call<null>('DELETE', `/servers/${encodeURIComponent(server._id)}`);
      servers = servers.filter(known => known._id !== server._id);
      renderServers();
      announce(`Server ${server.name} deleted.`);
      element('servers-heading').focus();
    }
  } finally {
    button.disabled = false;
  }
}

/** While a server is starting or stopping, the list is read again until it settles. */
function scheduleSettlingRefresh(): void {
  for (const server of servers) if (server.status === 'stopped') stopAsked.delete(server._id);
  if (settlingTimer !== undefined || !isSettling(servers, stopAsked)) return;
  settlingTimer = window.setTimeout(() => {
    settlingTimer = undefined;
    loadServers().catch((err: Error) => showError(err.message));
  }, SETTLING_POLL_MS);
}

// --- Following a start ------------------------------------------------------------------

/**
 * Reads GET /servers/{id}/progress with fetch (EventSource cannot send the
 * bearer token) until it ends: ready, failed, or the API asking to come back
 * (it was stopping), when the stream is opened again.
 */
async function followProgress(serverId: string, onEvent: (event: ProgressEvent) => void): Promise<ProgressEvent | undefined> {
  for (let attempt = 0; attempt < 5; attempt++) {
    const response = await authorisedResponse('GET', `/servers/${encodeURIComponent(serverId)}/progress`);
    if (!response.ok || !response.body) await answerOf(response);
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let buffer = '';
    let reconnect = false;
    for (;;) {
      const {value, done} = await reader.read();
      if (done) break;
      const {events, rest} = parseEventStream(buffer + value);
      buffer = rest;
      for (const event of events) {
        onEvent(event);
        const outcome = progressOutcome(event);
        if (outcome === 'ready' || outcome === 'failed') {
          await reader.cancel();
          return event;
        }
        reconnect ||= outcome === 'reconnect';
      }
    }
    if (!reconnect) return undefined;
    await new Promise(resolve => setTimeout(resolve, 1000));
  }
  return undefined;
}

const watching = new Set<string>();

/** Follows a server's start in its row; `launchedHere`: the person is waiting on it, so its Open link takes the focus. */
async function watchStart(server: Server, launchedHere: boolean): Promise<void> {
  if (watching.has(server._id)) return;
  watching.add(server._id);
  try {
    const last = await followProgress(server._id, event => {
      progressOf.set(server._id, event);
      const known = servers.find(s => s._id === server._id);
      if (known) updateRow(rows.get(server._id)!, known);
    });
    progressOf.delete(server._id);
    const current = await call<Server>('GET', `/servers/${encodeURIComponent(server._id)}`);
    mergeServer(current);
    if (current.status === 'running') {
      announce(`${current.name} is running.`);
      if (fileWaiting) await openFile(fileWaiting);
      else if (launchedHere) rows.get(current._id)?.actions.querySelector<HTMLElement>('[data-action="open"]')?.focus();
    } else if (last?.failed) {
      showError(`${current.name} did not start: ${last.message}`);
    }
  } finally {
    watching.delete(server._id);
  }
}

// --- Opening a file (the ELN's links) --------------------------------------------------

async function openFile(path: string): Promise<void> {
  element('opening').hidden = false;
  element('opening-path').textContent = path;
  const bar = element<HTMLProgressElement>('opening-progress');
  const message = element('opening-message');
  message.textContent = 'Looking for a server of yours…';
  let opened: {server: Server; url: string};
  try {
    opened = await call<{server: Server; url: string}>('POST', `/volume/open?path=${encodeURIComponent(path)}`);
  } catch (err) {
    if (err instanceof ApiError && err.code === 'no_default_template') {
      fileWaiting = path;
      message.textContent =
        'None of your servers runs and there is no default template to start. Launch one below: the file opens once it runs.';
      return;
    }
    sessionStorage.removeItem(OPEN);
    message.textContent = `It cannot be opened: ${(err as Error).message}`;
    return;
  }
  fileWaiting = undefined;
  const {server, url} = opened;
  if (server.status !== 'running') {
    mergeServer(server);
    message.textContent = `Starting ${server.name}…`;
    const last = await followProgress(server._id, event => {
      bar.value = event.progress;
      message.textContent = event.message;
    });
    if (!last?.ready) {
      sessionStorage.removeItem(OPEN);
      message.textContent = `${server.name} did not start: ${last?.message ?? 'the hub stopped answering'}`;
      return;
    }
  }
  bar.value = 100;
  message.textContent = `Opening it in ${server.name}…`;
  sessionStorage.removeItem(OPEN);
  location.assign(url);
}

// --- Start-up -----------------------------------------------------------------------------

async function start(): Promise<void> {
  element('sign-in').addEventListener('click', guarded(signIn));
  element('sign-out').addEventListener('click', guarded(signOut));
  element('refresh-servers').addEventListener(
    'click',
    guarded(async () => {
      await loadServers();
      announce('Servers read again.');
    }),
  );
  element('copy-token').addEventListener(
    'click',
    guarded(async () => {
      await navigator.clipboard.writeText(await accessToken());
      announce('Access token copied.');
    }),
  );
  element<HTMLFormElement>('new-template').addEventListener('submit', event => {
    event.preventDefault();
    guarded(saveTemplate)(event.target as HTMLFormElement);
  });

  const search = location.search;
  const step = signInStep(search, sessionStorage.getItem(PENDING));
  const file = fileToOpen(search);
  if (file) sessionStorage.setItem(OPEN, file);
  // Code, state and the file leave the address bar (and the history) at once: back from the notebook does not open it again.
  if (hasSignInParameters(search) || file) history.replaceState(null, '', location.pathname);
  if (hasSignInParameters(search)) sessionStorage.removeItem(PENDING);
  if (step.kind === 'failed') showError(step.message);
  if (step.kind === 'foreign') showError('Ignored a sign-in this page did not start. Click Sign in to sign in.');
  if (step.kind === 'redeem') storeTokens(await publicCall<Tokens>('POST', '/auth/token', step.body));
  if (!storedTokens()) {
    showSignedOut();
    return;
  }
  await showSignedIn();
}

start().catch((err: Error) => showError(err.message));
