import {expect} from '@loopback/testlab';
import {loadConfig} from '../../src/config';
import {OpenbisService} from '../../src/services/identity/openbis.service';
import {OpenbisDouble} from '../fixtures/openbis-double';

describe('OpenbisService and redirects', () => {
  let openbis: OpenbisDouble;
  let elsewhere: OpenbisDouble;

  before(async () => {
    [openbis, elsewhere] = await Promise.all([OpenbisDouble.start(), OpenbisDouble.start()]);
  });

  after(async () => {
    await Promise.all([openbis?.stop(), elsewhere?.stop()]);
  });

  it('never follows a redirect with a session token: it is an openBIS error, and the target hears nothing', async () => {
    const service = new OpenbisService(loadConfig({OPENBIS_URL: openbis.url}));
    const token = elsewhere.login('bob');
    openbis.redirectTo = `${elsewhere.url}/openbis/openbis/rmi-application-server-v3.json`;
    await expect(service.sessionUser(token)).to.be.rejectedWith({
      statusCode: 502,
      code: 'openbis_error',
      message: /openBIS answered isSessionActive with 307/,
    });
    expect(elsewhere.calls).to.deepEqual([]);
  });

  it('checks the session at the configured openBIS (control)', async () => {
    openbis.redirectTo = undefined;
    const service = new OpenbisService(loadConfig({OPENBIS_URL: openbis.url}));
    expect(await service.sessionUser(openbis.login('bob'))).to.equal('bob');
  });
});
