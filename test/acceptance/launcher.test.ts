import {expect} from '@loopback/testlab';
import type {Page} from 'playwright-core';
import {Chromium, screenshot} from '../fixtures/chromium';
import {eventually} from '../fixtures/eventually';
import {LauncherWorld} from '../fixtures/launcher-world';

const BOB = 'bob@example.org';
/** A stop the hub finishes after answering (202) is seen by the API's reconciler, every 10 s; a busy machine adds to it. */
const STOP_MS = 90000;
/** Each test is a person's whole visit: launches and stops on a busy machine take their time. */
const visit = (title: string, test: () => Promise<void>) => it(title, test).timeout(300000);
const NOTEBOOK = {cells: [{cell_type: 'markdown', metadata: {}, source: ['# Sample 369']}], metadata: {}, nbformat: 4, nbformat_minor: 4};

/**
 * The launcher in a real browser (Debian's Chromium), against the API with
 * its embedded provider and the real test hub, as a scientist uses it: with
 * the mouse, from an ELN link, and with the keyboard alone. Screenshots go
 * to test-output/screenshots. The page runs in the browser, so what the
 * tests read from it is written as expressions the browser evaluates.
 */
describe('The launcher in Chromium, on the real hub', () => {
  let world: LauncherWorld;
  let browser: Chromium;

  before(async () => {
    world = await LauncherWorld.start();
    browser = await Chromium.launch();
  });

  afterEach(() => {
    // The launcher's script, and the hub's pages, ran without an uncaught error.
    expect(browser.pageErrors).to.deepEqual([]);
  });

  after(async () => {
    await browser?.close();
    await world?.stop();
  });

  const atLauncher = (url: URL) => url.href.startsWith(world.launcherUrl) && !url.pathname.startsWith('/oidc');
  const inServer = (what: RegExp) => (url: URL) => url.href.startsWith(world.hub.publicUrl) && what.test(url.pathname);

  /**
   * After a click that leaves `from` for the provider: signs bob in at the
   * embedded provider's pages if it asks (its session may already hold him),
   * until the browser arrives where `arrived` says.
   */
  async function passProvider(page: Page, from: string, arrived: (url: URL) => boolean): Promise<void> {
    await page.waitForURL(url => url.href !== from, {timeout: 15000});
    for (let step = 0; step < 10; step++) {
      await page.waitForLoadState();
      const url = new URL(page.url());
      if (arrived(url)) return;
      if (url.pathname.startsWith('/oidc/interaction')) {
        const login = page.locator('input[name="login"]');
        if ((await login.count()) > 0) {
          await login.fill(BOB);
          await page.locator('input[name="password"]').fill('any password');
        }
        await page.locator('form [type="submit"]').first().click();
      }
      await page.waitForURL(next => next.href !== url.href, {timeout: 15000});
    }
    throw new Error(`The sign-in ended at ${page.url()}`);
  }

  async function signIn(page: Page): Promise<void> {
    const from = page.url();
    await page.getByRole('button', {name: 'Sign in'}).click();
    await passProvider(page, from, atLauncher);
    await page.getByText(`Signed in as Bob Researcher (${BOB})`).waitFor();
  }

  const accessToken = (page: Page) =>
    page.evaluate<string>("JSON.parse(sessionStorage.getItem('notebooks-hub-tokens') || '{}').access_token");

  /** Calls the API with the token the page holds, as a script of the person would. */
  async function api(page: Page, method: string, path: string, body?: object) {
    const response = await fetch(`${world.api.url}${path}`, {
      method,
      headers: {Authorization: `Bearer ${await accessToken(page)}`, 'Content-Type': 'application/json'},
      body: body && JSON.stringify(body),
    });
    const answer = await response.json();
    expect(response.status).to.equal(200, `${method} ${path}: ${JSON.stringify(answer)}`);
    return answer;
  }

  /** The accessible name (aria-label) of the focused control. */
  const focusedLabel = (page: Page) =>
    page.evaluate<string | null>("document.activeElement && document.activeElement.getAttribute('aria-label')");

  /** Bob's one server, launched by the first test from his template Analysis: its name is the template's, with a suffix. */
  const serverRow = (page: Page) => page.locator('li.server');
  const serverName = async (page: Page) => {
    const name = (await serverRow(page).locator('h3').textContent()) ?? '';
    expect(name).to.match(/^analysis-/);
    return name;
  };

  async function stopFromLauncher(page: Page): Promise<void> {
    await page.goto(world.launcherUrl);
    const name = await serverName(page);
    await serverRow(page)
      .getByRole('button', {name: `Stop ${name}`})
      .click();
    await serverRow(page)
      .getByRole('button', {name: `Start ${name}`})
      .waitFor({timeout: STOP_MS})
      .catch(async err => {
        const stored = await api(page, 'GET', `/servers?owner=${encodeURIComponent(BOB)}`);
        const atHub = await world.hub.api('GET', `/users/${encodeURIComponent(BOB)}`);
        await screenshot(page, 'stop-timed-out');
        throw new Error(`${err.message}\nAPI: ${JSON.stringify(stored)}\nhub: ${JSON.stringify(atHub.body)}\nhub log: ${world.hub.logs.slice(-3000)}`);
      });
    expect(await serverRow(page).locator('.badge').textContent()).to.equal('Stopped');
  }

  visit('as bob: signs in, saves a template, launches it, watches the progress reach ready, opens the server and stops it', async () => {
    const page = await browser.page();
    await page.goto(world.launcherUrl);
    await screenshot(page, '01-signed-out');
    await signIn(page);

    await page.getByLabel('Name').fill('Analysis');
    await page.getByLabel('Description').fill('JupyterLab for the analysis');
    await page.getByLabel('Application').selectOption('JupyterLab');
    await page.getByLabel('Hardware').selectOption('small');
    await page.getByRole('button', {name: 'Save template'}).click();
    await page.getByRole('status').filter({hasText: 'Template Analysis saved.'}).waitFor();
    // The new template's launch button takes the focus.
    expect(await focusedLabel(page)).to.equal('Launch Analysis');
    await screenshot(page, '02-template-saved');

    // Every value the progress bar of the new server takes as the stream moves it, with its message.
    await page.evaluate(`
      window.progressSeen = [];
      new MutationObserver(() => {
        for (const bar of document.querySelectorAll('#servers .progress:not([hidden]) progress')) {
          const seen = {value: bar.getAttribute('value'), message: bar.nextElementSibling.textContent};
          const last = window.progressSeen[window.progressSeen.length - 1];
          if (!last || last.value !== seen.value || last.message !== seen.message) window.progressSeen.push(seen);
        }
      }).observe(document.getElementById('servers'), {subtree: true, attributes: true, characterData: true, childList: true});
    `);
    await page.getByRole('button', {name: 'Launch Analysis'}).click();
    const row = serverRow(page);
    await row.waitFor();
    const name = await serverName(page);
    await row.getByRole('link', {name: `Open ${name}`}).waitFor({timeout: 60000});
    expect(await row.locator('.badge').textContent()).to.equal('Running');
    await screenshot(page, '03-server-running');
    const seen = await page.evaluate<Array<{value: string; message: string}>>('window.progressSeen');
    const values = seen.map(s => Number(s.value));
    expect(values).to.containEql(100);
    expect(values.some(value => value < 100)).to.be.true();
    expect(values).to.deepEqual([...values].sort((a, b) => a - b));
    expect(seen.map(s => s.message).join(' | ')).to.match(/Spawning|requested|ready/i);
    // The launch focused the new server's Open link: the next key press opens it.
    expect(await focusedLabel(page)).to.equal(`Open ${name}`);

    await row.getByRole('link', {name: `Open ${name}`}).click();
    // The hub signs bob in through the same provider, then JupyterLab shows the files of his home.
    await passProvider(page, world.launcherUrl, inServer(/\/user\/[^/]+\/analysis-[^/]+\/lab/));
    await page.locator('.jp-DirListing').first().waitFor({timeout: 60000});
    await screenshot(page, '04-server-open');

    await stopFromLauncher(page);
    await screenshot(page, '05-server-stopped');

    // The hub's page of a server that no longer runs sends people to the launcher.
    await page.goto(`${world.hub.publicUrl}/user/${BOB}/${name}/lab`);
    const toLauncher = page.locator('#launcher');
    await toLauncher.waitFor();
    expect(await toLauncher.getAttribute('href')).to.equal(world.launcherUrl);
    await screenshot(page, '06-hub-not-running');
    // So does its 404, where a stale or expired link lands.
    await page.goto(`${world.hub.publicUrl}/hub/no-such-page`);
    expect(await page.locator('#launcher').getAttribute('href')).to.equal(world.launcherUrl);
    await screenshot(page, '06-hub-404');
    await page.close();
  });

  visit(
    'with no server running, an ELN link opened in a new tab signs bob in, starts his last template and lands in the notebook',
    async () => {
      const setup = await browser.page();
      await setup.goto(world.launcherUrl);
      await signIn(setup);
      const servers = (await api(setup, 'GET', `/servers?owner=${encodeURIComponent(BOB)}`)) as Array<{status: string}>;
      expect(servers.map(s => s.status)).to.deepEqual(['stopped']);
      const file = (await api(setup, 'POST', '/volume/file', {
        type: 'notebook',
        name: 'sample-369.ipynb',
        path: 'eln',
        content: NOTEBOOK,
      })) as {
        link: string;
      };
      expect(file.link).to.equal(`${world.launcherUrl}?open=eln%2Fsample-369.ipynb`);
      await setup.close();

      // A new tab holds no token: the launcher asks for a sign-in and keeps the file to open.
      const page = await browser.page();
      await page.goto(file.link);
      await page.getByRole('status').filter({hasText: 'Sign in to open eln/sample-369.ipynb.'}).waitFor();
      expect(new URL(page.url()).search).to.equal('');
      await screenshot(page, '07-eln-link-signed-out');
      await page.getByRole('button', {name: 'Sign in'}).click();
      // Signed in, the launcher starts the stopped server of his last template and goes to the notebook; the hub signs him in on the way.
      await page.waitForURL(inServer(/\/user\/[^/]+\/analysis-[^/]+\/lab\/tree\/eln\/sample-369\.ipynb/), {timeout: 60000});
      await page.locator('.jp-RenderedMarkdown').filter({hasText: 'Sample 369'}).first().waitFor({timeout: 60000});
      await screenshot(page, '08-eln-notebook-open');

      await stopFromLauncher(page);
      await page.close();
    },
  );

  visit(
    'works with the keyboard alone, every control named, on a narrow window: sign in, start a server, open it, stop it, delete it',
    async () => {
      const page = await browser.page({width: 360, height: 800});
      await page.goto(world.launcherUrl);

      /** Presses Tab until the focus is on the control named `name`; what it passed on the way, as screen readers name it. */
      const tabTo = async (name: string): Promise<string[]> => {
        const passed: string[] = [];
        for (let presses = 0; presses < 80; presses++) {
          await page.keyboard.press('Tab');
          const focused = await page
            .locator(':focus')
            .ariaSnapshot()
            .catch(() => '(nothing)');
          passed.push(focused);
          if (focused.includes(`"${name}"`)) return passed;
        }
        throw new Error(`Tab never reached "${name}"; passed ${passed.join(' | ')}`);
      };

      await tabTo('Sign in');
      await page.keyboard.press('Enter');
      // The provider's session from the tests before signs bob in without its login page.
      await page.getByText(`Signed in as Bob Researcher (${BOB})`).waitFor();
      await screenshot(page, '09-keyboard-narrow');
      const name = await serverName(page);

      // The whole page in tab order: every control has a name a screen reader says.
      const order = await tabTo('Copy access token');
      expect(order.filter(control => !/"[^"]+"/.test(control))).to.deepEqual([]);
      const expected = [
        'button "Sign out"',
        'button "Refresh"',
        `button "Start ${name}"`,
        `button "Delete ${name}"`,
        'button "Launch Analysis"',
        'textbox "Name"',
        'combobox "Application"',
        'button "Save template"',
        'link "explorer"',
      ];
      // Each once: nothing is reached twice, nothing is skipped.
      expect(expected.filter(control => order.filter(passed => passed.includes(control)).length !== 1)).to.deepEqual([]);
      // Readable on a narrow window: nothing is wider than it.
      expect(await page.evaluate<boolean>('document.documentElement.scrollWidth <= window.innerWidth')).to.be.true();

      await tabTo(`Start ${name}`);
      await page.keyboard.press('Enter');
      // Once it runs, the focus is on its Open link.
      await eventually('the Open link has the focus', async () => (await focusedLabel(page)) === `Open ${name}`, 60000);
      await screenshot(page, '10-keyboard-server-running');
      await page.keyboard.press('Enter');
      await page.waitForURL(inServer(/\/user\/[^/]+\/analysis-[^/]+\/lab/));
      await page.locator('.jp-DirListing').first().waitFor({timeout: 60000});

      await page.goBack();
      await page.getByText(`Signed in as Bob Researcher (${BOB})`).waitFor();
      await tabTo(`Stop ${name}`);
      await page.keyboard.press('Enter');
      await serverRow(page)
        .getByRole('button', {name: `Start ${name}`})
        .waitFor({timeout: STOP_MS});

      // Delete asks first; confirmed, the server goes and the focus moves to the list's heading.
      page.once('dialog', dialog => dialog.accept());
      await tabTo(`Delete ${name}`);
      await page.keyboard.press('Enter');
      await page
        .getByRole('status')
        .filter({hasText: `Server ${name} deleted.`})
        .waitFor({timeout: STOP_MS});
      await page.getByText('No servers yet: launch a template below.').waitFor();
      expect(await page.evaluate<string>('document.activeElement.id')).to.equal('servers-heading');
      await page.close();
    },
  );
});
