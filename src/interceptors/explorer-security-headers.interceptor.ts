import {Interceptor} from '@loopback/core';
import {RestBindings} from '@loopback/rest';
import {EXPLORER_CSP, setPageSecurityHeaders} from '../utils/page-security-headers.util';

/** Frame and referrer protection on the explorer's routes (its page, its redirect, its copy of the spec). */
export const explorerSecurityHeaders: Interceptor = async (invocationContext, next) => {
  setPageSecurityHeaders(await invocationContext.get(RestBindings.Http.RESPONSE), EXPLORER_CSP);
  return next();
};
