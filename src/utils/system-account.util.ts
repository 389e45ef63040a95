import {createHash} from 'node:crypto';
import {promises as fs} from 'node:fs';

/** What the hub's local spawner writes in the GECOS field of the accounts it makes. */
const SPAWNER_ACCOUNT_GECOS = 'Notebooks Hub server account';

/**
 * The system account a hub user's local servers run as, named as the hub's
 * spawner names it (hub/notebooks_hub_spawner/accounts.py; both are held to
 * the same examples by their tests): `nbh-`, up to ten letters and digits
 * of the address, a dash and ten hex digits of its SHA-256.
 */
export function systemAccountName(hubUser: string): string {
  const local = hubUser
    .split('@', 1)[0]
    .toLowerCase()
    .replace(/[^a-z0-9]/g, '')
    .slice(0, 10);
  const digest = createHash('sha256').update(hubUser, 'utf8').digest('hex').slice(0, 10);
  return local ? `nbh-${local}-${digest}` : `nbh-${digest}`;
}

/** The uid and gid of the spawner's account for this hub user, once the spawner has made it. */
export async function spawnerAccount(hubUser: string): Promise<{uid: number; gid: number} | undefined> {
  const name = systemAccountName(hubUser);
  const passwd = await fs.readFile('/etc/passwd', 'utf8').catch(() => '');
  for (const line of passwd.split('\n')) {
    const [user, , uid, gid, gecos] = line.split(':');
    if (user === name && gecos === SPAWNER_ACCOUNT_GECOS && /^\d+$/.test(uid) && /^\d+$/.test(gid) && uid !== '0') {
      return {uid: Number(uid), gid: Number(gid)};
    }
  }
  return undefined;
}
