import {expect} from '@loopback/testlab';
import {
  errorCode,
  errorMessage,
  fileToOpen,
  groupTemplates,
  hasSignInParameters,
  isSettling,
  needsRefresh,
  parseEventStream,
  progressOutcome,
  Server,
  serverActions,
  signInStep,
  stopNote,
  Template,
} from '../../web/launcher/launcher-logic';

const template = (name: string, type: Template['type'], creator: string): Template => ({
  _id: name,
  name,
  description: '',
  applicationType: 'Notebook',
  hardware: 'small',
  type,
  creator,
});

const server = (status: Server['status'], url?: string): Server => ({
  _id: 's',
  name: 'analysis',
  owner: 'bob@example.org',
  templateId: 't',
  status,
  url,
});

describe("The launcher's logic (web/launcher/launcher-logic.ts)", () => {
  describe('sign-in redirects', () => {
    it('ignores a code and state it did not start: with no sign-in pending, or another state pending', () => {
      expect(signInStep('?code=foreign-code&state=foreign-state&iss=https%3A%2F%2Fidp.example.org', null)).to.deepEqual({kind: 'foreign'});
      expect(signInStep('?code=c&state=another-state', 'started-here')).to.deepEqual({kind: 'foreign'});
    });

    it('redeems the sign-in it started, with the issuer when the provider sent one', () => {
      expect(signInStep('?code=the-code&state=started-here', 'started-here')).to.deepEqual({
        kind: 'redeem',
        body: {code: 'the-code', state: 'started-here'},
      });
      expect(signInStep('?code=c&state=s&iss=https%3A%2F%2Fidp', 's')).to.deepEqual({
        kind: 'redeem',
        body: {code: 'c', state: 's', iss: 'https://idp'},
      });
    });

    it("reports a provider's error, and nothing at all without a redirect", () => {
      expect(signInStep('?error=access_denied&error_description=No%20consent', 's')).to.deepEqual({
        kind: 'failed',
        message: 'Sign-in failed: access_denied No consent',
      });
      expect(signInStep('?open=eln%2Frun.ipynb', 's')).to.deepEqual({kind: 'none'});
      expect(hasSignInParameters('?open=x')).to.be.false();
      expect(hasSignInParameters('?state=x')).to.be.true();
    });
  });

  it('reads the file an ELN link opens, ignoring an empty one', () => {
    expect(fileToOpen('?open=my_folder%2F2016.ipynb')).to.equal('my_folder/2016.ipynb');
    expect(fileToOpen('?open=%20')).to.be.undefined();
    expect(fileToOpen('')).to.be.undefined();
  });

  it('refreshes tokens that expire within half a minute, and never ones without an expiry', () => {
    const now = 1_000_000_000_000;
    expect(needsRefresh({access_token: 'a', expires_at: now / 1000 + 20}, now)).to.be.true();
    expect(needsRefresh({access_token: 'a', expires_at: now / 1000 + 120}, now)).to.be.false();
    expect(needsRefresh({access_token: 'a'}, now)).to.be.false();
  });

  it("groups featured and quick-launch templates, then one's own, then those shared with one", () => {
    const groups = groupTemplates(
      [
        template('Course', 'featured', 'alice@example.org'),
        template('Python', 'quick-launch', 'alice@example.org'),
        template('Mine', 'custom', 'bob@example.org'),
        template("Carol's", 'custom', 'carol@example.org'),
        template('My quick one', 'quick-launch', 'bob@example.org'),
      ],
      'bob@example.org',
    );
    expect({
      featured: groups.featured.map(t => t.name),
      quickLaunch: groups.quickLaunch.map(t => t.name),
      own: groups.own.map(t => t.name),
      shared: groups.shared.map(t => t.name),
    }).to.deepEqual({featured: ['Course'], quickLaunch: ['Python', 'My quick one'], own: ['Mine'], shared: ["Carol's"]});
  });

  describe('the progress stream', () => {
    it('splits complete events from what is still to come, skipping heartbeats and retry fields', () => {
      const {events, rest} = parseEventStream(
        ': heartbeat\n\ndata: {"progress":0,"message":"Server requested"}\n\nretry: 1000\ndata: {"progress":50,"message":"Spawning"}\r\n\r\ndata: {"progr',
      );
      expect(events).to.deepEqual([
        {progress: 0, message: 'Server requested'},
        {progress: 50, message: 'Spawning'},
      ]);
      expect(rest).to.equal('data: {"progr');
      expect(parseEventStream(`${rest}ess":100,"message":"ready","ready":true,"url":"/user/b/s/"}\n\n`).events).to.deepEqual([
        {progress: 100, message: 'ready', ready: true, url: '/user/b/s/'},
      ]);
    });

    it('joins the data lines of one event', () => {
      expect(parseEventStream('data: {"progress": 1,\ndata: "message": "x"}\n\n').events).to.deepEqual([{progress: 1, message: 'x'}]);
    });

    it('tells how a stream ended', () => {
      expect(progressOutcome({progress: 100, message: '', ready: true})).to.equal('ready');
      expect(progressOutcome({progress: 100, message: 'no room', failed: true})).to.equal('failed');
      expect(progressOutcome({progress: 40, message: '', reconnect: true})).to.equal('reconnect');
      expect(progressOutcome({progress: 40, message: 'Spawning'})).to.be.undefined();
    });
  });

  it('offers what each status allows: open a running server that has its URL, start a stopped one, nothing while it stops', () => {
    expect(serverActions(server('running', 'http://hub/user/b/s/'))).to.deepEqual(['open', 'stop', 'delete']);
    expect(serverActions(server('running'))).to.deepEqual(['stop', 'delete']);
    expect(serverActions(server('starting'))).to.deepEqual(['stop', 'delete']);
    expect(serverActions(server('stopped'))).to.deepEqual(['start', 'delete']);
    expect(serverActions(server('stopping'))).to.deepEqual([]);
    expect(isSettling([server('running'), server('stopping')])).to.be.true();
    expect(isSettling([server('running'), server('stopped')])).to.be.false();
    // A stop asked for, even one the hub did not answer in time, is followed until the server is stopped.
    expect(isSettling([server('running')], new Set(['s']))).to.be.true();
    expect(isSettling([server('stopped')], new Set(['s']))).to.be.false();
  });

  it('says why the API stopped a server by itself, and nothing for one a person stopped', () => {
    const day = (iso: string) => iso.slice(0, 10);
    expect(stopNote({...server('stopped'), stoppedReason: 'idle', stoppedAt: '2026-03-02T10:00:00.000Z'}, day)).to.equal(
      'Stopped for being idle on 2026-03-02.',
    );
    expect(stopNote({...server('stopped'), stoppedReason: 'lifetime', stoppedAt: null}, day)).to.equal(
      'Stopped at the end of its lifetime.',
    );
    expect(stopNote({...server('stopped'), stoppedReason: null}, day)).to.be.undefined();
    expect(stopNote({...server('running'), stoppedReason: 'idle'}, day)).to.be.undefined();
  });

  it("shows the API's error message and code, or the status when the answer has none", () => {
    const body = {error: {statusCode: 409, message: 'None of your servers runs', code: 'no_default_template'}};
    expect(errorMessage(409, body)).to.equal('None of your servers runs');
    expect(errorCode(body)).to.equal('no_default_template');
    expect(errorMessage(502, null, 'Bad Gateway')).to.equal('502 Bad Gateway');
    expect(errorCode('<html>')).to.be.undefined();
  });
});
