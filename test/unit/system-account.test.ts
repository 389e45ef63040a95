import {expect} from '@loopback/testlab';
import {systemAccountName} from '../../src/utils/system-account.util';

/** The same examples hold the hub's spawner (hub/tests/test_local.py): both sides must name one person's account alike. */
const SHARED_EXAMPLES: Array<[string, string]> = [
  ['bob@example.org', 'nbh-bob-686b5e4cf4'],
  ['Élise.O+x@lab.org', 'nbh-liseox-b388127f55'],
  ['@x', 'nbh-37f6276fa8'],
];

describe('system account names (unit)', () => {
  it('derives the account of a hub user as the spawner does', () => {
    for (const [hubUser, account] of SHARED_EXAMPLES) expect(systemAccountName(hubUser)).to.equal(account);
  });

  it('keeps names short and free of anything a shell or useradd would read', () => {
    for (const hubUser of ['$(reboot)@x.org', 'a'.repeat(300) + '@x.org', '../../etc@x']) {
      expect(systemAccountName(hubUser)).to.match(/^nbh-[a-z0-9]{0,10}-?[0-9a-f]{10}$/);
    }
  });
});
