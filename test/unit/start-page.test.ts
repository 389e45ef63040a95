import {expect} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import vm from 'node:vm';

const SCRIPT = readFileSync(path.resolve(__dirname, '../../../public/start-page.js'), 'utf8');

interface Page {
  requests: Array<{method: string; path: string; body?: unknown}>;
  storage: Map<string, string>;
  url: () => string;
  output: {textContent: string; className: string};
  assigned: string[];
  settled: Promise<void>;
  click: (id: string) => Promise<void>;
}

/**
 * The start page's script in a window of its own: the DOM elements it uses,
 * sessionStorage, the address bar and fetch, which answers the API's routes
 * as the API would and records every call.
 */
function openPage(search: string, storage = new Map<string, string>()): Page {
  let href = `https://api.example.org/${search}`;
  const elements = new Map<string, {hidden: boolean; textContent: string; className: string; onclick?: () => Promise<void>}>();
  const element = (id: string) => {
    if (!elements.has(id)) elements.set(id, {hidden: false, textContent: '', className: ''});
    return elements.get(id)!;
  };
  const requests: Page['requests'] = [];
  const assigned: string[] = [];
  const answers: Record<string, unknown> = {
    'auth/authorize': {authorizationUrl: 'https://idp.example.org/auth?client_id=x&state=started-here&code_challenge=c'},
    'auth/token': {access_token: 'access', id_token: 'id', refresh_token: 'refresh'},
    whoami: {email: 'bob@example.org'},
  };
  const window = {
    document: {getElementById: element},
    sessionStorage: {
      getItem: (key: string) => storage.get(key) ?? null,
      setItem: (key: string, value: string) => storage.set(key, String(value)),
      removeItem: (key: string) => storage.delete(key),
    },
    location: {
      get search() {
        return new URL(href).search;
      },
      origin: 'https://api.example.org',
      pathname: '/',
      assign: (url: string) => assigned.push(url),
    },
    history: {replaceState: (_state: unknown, _title: string, url: string) => (href = new URL(url, href).href)},
    fetch: async (requestPath: string, init: {method: string; body?: string}) => {
      requests.push({method: init.method, path: requestPath, body: init.body && JSON.parse(init.body)});
      return {ok: true, json: async () => answers[requestPath]};
    },
    URL,
    URLSearchParams,
    JSON,
    navigator: {},
  };
  const context = vm.createContext(window);
  vm.runInContext(SCRIPT, context);
  // The fake fetch answers in microtasks, all run before the next macrotask: then the page's start-up work is done.
  const settled = new Promise<void>(resolve => setImmediate(resolve));
  return {
    requests,
    storage,
    url: () => href,
    output: element('output'),
    assigned,
    settled,
    click: async id => {
      await element(id).onclick!();
    },
  };
}

describe('The start page (public/start-page.js)', () => {
  it('ignores a code and state it did not start: no token request, no tokens, and they leave the address bar', async () => {
    const page = openPage('?code=foreign-code&state=foreign-state&iss=https%3A%2F%2Fidp.example.org');
    await page.settled;
    expect(page.requests).to.deepEqual([]);
    expect(page.storage.has('notebooks-hub-tokens')).to.be.false();
    expect(page.url()).to.equal('https://api.example.org/');
    expect(page.output.textContent).to.match(/did not start/);
  });

  it('ignores a code whose state is not the one of the sign-in it started', async () => {
    const page = openPage('?code=c&state=another-state', new Map([['notebooks-hub-pending-sign-in', 'started-here']]));
    await page.settled;
    expect(page.requests).to.deepEqual([]);
    expect(page.storage.has('notebooks-hub-pending-sign-in')).to.be.false();
  });

  it('redeems the sign-in it started, once', async () => {
    const start = openPage('');
    await start.settled;
    await start.click('sign-in');
    expect(start.assigned).to.deepEqual(['https://idp.example.org/auth?client_id=x&state=started-here&code_challenge=c']);
    expect(start.storage.get('notebooks-hub-pending-sign-in')).to.equal('started-here');

    const back = openPage('?code=the-code&state=started-here', start.storage);
    await back.settled;
    expect(back.requests.map(r => `${r.method} ${r.path}`)).to.deepEqual(['POST auth/token', 'GET whoami']);
    expect(back.requests[0].body).to.deepEqual({code: 'the-code', state: 'started-here'});
    expect(JSON.parse(back.storage.get('notebooks-hub-tokens')!).access_token).to.equal('access');
    expect(back.storage.has('notebooks-hub-pending-sign-in')).to.be.false();
    expect(back.url()).to.equal('https://api.example.org/');

    const replayed = openPage('?code=the-code&state=started-here', back.storage);
    await replayed.settled;
    expect(replayed.requests).to.deepEqual([]);
  });
});
