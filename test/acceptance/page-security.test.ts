import {expect, supertest} from '@loopback/testlab';
import {RunningApp, startApp} from '../fixtures/test-app';
import {forSuite} from '../fixtures/for-suite';

describe('Pages that hold tokens, and the served OpenAPI document', () => {
  let api: RunningApp;
  let client: supertest.SuperTest<supertest.Test>;

  forSuite(() => startApp(), started => {
    api = started;
    client = supertest(api.url);
  });

  it('serves the launcher under a CSP of its own files only, unframeable, without Referer', async () => {
    const page = await client.get('/').expect(200).expect('Content-Type', /html/);
    const csp = String(page.headers['content-security-policy']).split('; ');
    expect(csp).to.containDeep([
      "default-src 'self'",
      "script-src 'self'",
      "connect-src 'self'",
      "frame-ancestors 'none'",
      "base-uri 'none'",
      "form-action 'self'",
    ]);
    expect(csp.join(' ')).to.not.match(/unsafe-inline|unsafe-eval|\*/);
    expect(page.headers).to.containDeep({
      'x-frame-options': 'DENY',
      'referrer-policy': 'no-referrer',
      'x-content-type-options': 'nosniff',
    });
    // The policy allows no inline code, so the page holds none: every script and style comes from a file.
    expect(page.text).to.not.match(/<script(?![^>]*\bsrc=)[^>]*>/);
    expect(page.text).to.not.match(/<style|\s(on\w+|style)=/);
    for (const file of ['/launcher/launcher.js', '/launcher/launcher-logic.js', '/launcher.css']) {
      const asset = await client.get(file).expect(200);
      expect(asset.headers['x-content-type-options']).to.equal('nosniff');
      // Module scripts run only when served as JavaScript.
      expect(asset.headers['content-type']).to.match(file.endsWith('.js') ? /^(text|application)\/javascript/ : /^text\/css/);
    }
  });

  it('keeps the explorer out of frames and its URL out of Referers', async () => {
    const page = await client.get('/explorer/').expect(200);
    expect(page.headers['content-security-policy']).to.match(/frame-ancestors 'none'/);
    expect(page.headers).to.containDeep({'x-frame-options': 'DENY', 'referrer-policy': 'no-referrer'});
  });

  it('names PUBLIC_URL as the server, whatever Host and X-Forwarded-Host say', async () => {
    for (const path of ['/openapi.json', '/explorer/openapi.json']) {
      const spec = await client
        .get(path)
        .set('Host', 'evil.example')
        .set('X-Forwarded-Host', 'evil.example')
        .set('X-Forwarded-Proto', 'https')
        .expect(200);
      expect(spec.body.servers).to.deepEqual([{url: api.url}]);
    }
  });
});
