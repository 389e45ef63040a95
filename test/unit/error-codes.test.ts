import {HttpErrors} from '@loopback/rest';
import {expect} from '@loopback/testlab';
import {readFileSync} from 'node:fs';
import path from 'node:path';
import {ERROR_CODES, errorCodeOf, peerError} from '../../src/utils/api-error.util';

describe('Error codes', () => {
  it('are the README\'s table, code for code, with their statuses and meanings', () => {
    const readme = readFileSync(path.resolve(__dirname, '../../../README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `([a-z_]+)` \| (\d{3}) \| (.+) \|$/gm)].map(([, code, status, meaning]) => [code, Number(status), meaning]);
    expect(rows).to.deepEqual(Object.entries(ERROR_CODES).map(([code, {status, meaning}]) => [code, status, meaning]));
  });

  it('names the peer that failed, by the status it failed with', () => {
    expect(errorCodeOf(peerError('hub', new HttpErrors.GatewayTimeout('slow')), 504)).to.equal('hub_timeout');
    expect(errorCodeOf(peerError('secret_store', new HttpErrors.BadGateway('refused')), 502)).to.equal('secret_store_error');
    expect(errorCodeOf(peerError('storage', new HttpErrors.InsufficientStorage('full')), 507)).to.equal('storage_full');
  });

  it('falls back to the status\'s own code, and never answers a code of another status', () => {
    expect(errorCodeOf(new HttpErrors.NotFound('gone'), 404)).to.equal('not_found');
    expect(errorCodeOf({code: 'VALIDATION_FAILED'}, 400)).to.equal('validation_failed');
    expect(errorCodeOf({code: 'EACCES'}, 500)).to.equal('internal_error');
    expect(errorCodeOf({code: 'hub_timeout'}, 500)).to.equal('internal_error');
    expect(errorCodeOf({code: 'ENTITY_NOT_FOUND'}, 404)).to.equal('not_found');
  });
});
