import {expect} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {ApiWorld} from '../fixtures/api-world';
import {forSuite} from '../fixtures/for-suite';

type Operation = {
  operationId: string;
  parameters?: Array<{in: string; name: string; required?: boolean}>;
  requestBody?: {content: Record<string, {example?: unknown}>};
};

const SPEC = JSON.parse(readFileSync(path.resolve(__dirname, '../../../openapi.json'), 'utf8')) as {
  paths: Record<string, Record<string, Operation>>;
};

/** Tokens from a sign-in: the examples stand in for them, so the provider refuses them as it would any stale one. */
const SIGN_IN_EXCHANGES = new Set(['finishSignIn', 'refreshTokens']);
/** For the hub's spawner and its SPAWNER_TOKEN: a person's token is refused before the example is read. */
const SPAWNER_ONLY = new Set(['redeemLaunchTicket']);

/**
 * The body the explorer offers for each operation, sent unchanged by a
 * signed-in user who is no admin: it succeeds, or fails only because the
 * ids in the path or query (here ids that do not exist) name nothing.
 */
describe('The explorer\'s example bodies', () => {
  let world: ApiWorld;

  forSuite(() => ApiWorld.start({HUB_PUBLIC_URL: 'http://hub.example'}), started => (world = started));

  const withBodies = Object.entries(SPEC.paths).flatMap(([route, item]) =>
    Object.entries(item)
      .filter(([, op]) => op.requestBody?.content['application/json'])
      .map(([verb, op]) => ({route, verb, op})),
  );

  it('has an example for every JSON request body', () => {
    expect(withBodies.filter(({op}) => op.requestBody!.content['application/json'].example === undefined).map(({op}) => op.operationId)).to.deepEqual([]);
  });

  for (const {route, verb, op} of withBodies) {
    // Every required parameter names something: a resource's id, or a file's path.
    const ids = (op.parameters ?? []).filter(p => p.required && (p.in === 'path' || p.in === 'query'));
    const outcome = SIGN_IN_EXCHANGES.has(op.operationId)
      ? 'is refused as a stale sign-in'
      : SPAWNER_ONLY.has(op.operationId)
        ? 'is refused to a person (401)'
        : ids.length > 0
          ? 'names nothing (404)'
          : 'succeeds';
    it(`${op.operationId} (${verb.toUpperCase()} ${route}) ${outcome}`, async () => {
      const user = await world.as('owner');
      let url = route.replace(/\{[^}]+\}/g, 'no-such-id');
      const query: Record<string, string> = Object.fromEntries(ids.filter(p => p.in === 'query').map(p => [p.name, 'no-such-id']));
      // Without a hub here, a server is created without starting it; the body is the example still.
      if (op.operationId === 'createServer') query.start = 'false';
      if (Object.keys(query).length > 0) url += `?${new URLSearchParams(query)}`;
      const send = verb === 'post' ? user.post(url) : verb === 'patch' ? user.patch(url) : user.put(url);
      const res = await send.send(op.requestBody!.content['application/json'].example as object);
      // The status and the error travel together, so a failure says why.
      if (outcome === 'succeeds') expect({succeeded: res.status < 300, status: res.status, error: res.body?.error}).to.containDeep({succeeded: true});
      else if (outcome === 'names nothing (404)') expect({status: res.status, code: res.body.error?.code}).to.deepEqual({status: 404, code: 'not_found'});
      else if (outcome === 'is refused to a person (401)') expect({status: res.status, code: res.body.error?.code}).to.deepEqual({status: 401, code: 'unauthenticated'});
      else expect({status: res.status, code: res.body.error?.code}).to.deepEqual({status: 400, code: 'bad_request'});
    });
  }
});
