import {BindingScope, inject, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import axios, {AxiosError} from 'axios';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {peerError} from '../../utils/api-error.util';

/** openBIS's JSON-RPC application server API (v3). */
const RPC_PATH = '/openbis/openbis/rmi-application-server-v3.json';

/**
 * Checks openBIS session tokens the way the ELN-Jupyter webservice (the
 * notebook write this API's ELN form replaces) did: JSON-RPC `isSessionActive`, then the user from `getSessionInformation`.
 */
@injectable({scope: BindingScope.SINGLETON})
export class OpenbisService {
  private calls = 0;

  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  /** The openBIS user name of an active session; 401 for any other token. */
  async sessionUser(token: string): Promise<string> {
    if (token.length === 0 || token.length > 512) throw invalidSession();
    const active = await this.rpc('isSessionActive', [token]);
    if (active !== true) throw invalidSession();
    const info = (await this.rpc('getSessionInformation', [token])) as {userName?: unknown} | null;
    if (typeof info?.userName !== 'string' || info.userName === '') throw invalidSession();
    return info.userName;
  }

  private async rpc(method: string, params: unknown[]): Promise<unknown> {
    const {url, timeoutMs} = this.config.files.openbis;
    if (!url) throw peerError('openbis', new HttpErrors.ServiceUnavailable('openBIS is not configured (set OPENBIS_URL), so openBIS tokens cannot be checked'));
    let data: {result?: unknown; error?: {message?: string}};
    try {
      // The body carries a user's session token: a redirect is answered as an openBIS error, never followed to wherever it points.
      const res = await axios.post(`${url}${RPC_PATH}`, {jsonrpc: '2.0', id: String(++this.calls), method, params}, {timeout: timeoutMs, maxRedirects: 0});
      data = res.data;
    } catch (err) {
      const failure = err as AxiosError;
      if (failure.code === 'ECONNABORTED' || failure.code === 'ETIMEDOUT') {
        throw peerError('openbis', new HttpErrors.GatewayTimeout(`openBIS did not answer ${method} in time`));
      }
      if (failure.response) throw peerError('openbis', new HttpErrors.BadGateway(`openBIS answered ${method} with ${failure.response.status}`));
      throw peerError('openbis', new HttpErrors.ServiceUnavailable(`openBIS is unreachable (${failure.code ?? failure.message})`));
    }
    // openBIS answers an expired or unknown session with a JSON-RPC error.
    if (data.error) throw invalidSession();
    return data.result;
  }
}

function invalidSession(): HttpErrors.HttpError {
  return new HttpErrors.Unauthorized('The openBIS session token is not valid or has expired');
}
