import {inject, injectable, BindingScope} from '@loopback/core';
import {HandlerContext, HttpErrors, Reject} from '@loopback/rest';
import {ErrorWriterOptions, writeErrorToResponse} from 'strong-error-handler';
import {errorCodeOf, FieldProblem, namingField} from '../utils/api-error.util';
import {storageError} from '../utils/confined-folder.util';
import {databaseUnavailable} from '../utils/database-unavailable.util';
import {LoggerService} from '../services/logger.service';
import type {MetricsService} from '../services/observability/metrics.service';

/** Error answers are JSON whatever the Accept header says, never carry a stack trace. */
export const ERROR_WRITER_OPTIONS: ErrorWriterOptions = {
  debug: false,
  safeFields: ['code'],
  defaultType: 'json',
  negotiateContentType: false,
};

type HttpLikeError = Error & {
  expose?: boolean;
  statusCode?: number;
  status?: number;
  code?: string;
  headers?: Record<string, string>;
  details?: unknown;
};

/**
 * Writes every error as `{error: {statusCode, name, message, code, details?}}`,
 * adds the headers an error asks for (WWW-Authenticate on 401) and logs
 * server-side failures, with their stack, to the API's log only.
 */
@injectable({scope: BindingScope.SINGLETON})
export class JsonRejectProvider {
  static value(
    @inject('services.LoggerService') logger: LoggerService,
    @inject('services.MetricsService') metrics: MetricsService,
  ): Reject {
    return ({request, response}: HandlerContext, error: Error) => {
      let err = error as HttpLikeError;
      if (!err.statusCode && !err.status && err.code === 'ENTITY_NOT_FOUND') {
        err.statusCode = 404;
      }
      // A request that fails its schema is a bad request like any other:
      // 400, with `details` naming each offending field.
      if (err.code === 'VALIDATION_FAILED') {
        err.statusCode = 400;
        err.name = 'BadRequestError';
        if (Array.isArray(err.details)) err.details = (err.details as FieldProblem[]).map(namingField);
      }
      // A storage failure (disk full, read-only, not writable) is the
      // operator's to fix; the caller gets a clear message, not an errno.
      if (!err.statusCode && !err.status) {
        const storage = storageError(err);
        if (storage) {
          logger.error('storage failed', {method: request.method, path: request.path, code: err.code, reason: err.message});
          err = storage;
        }
        const database = databaseUnavailable(err);
        if (database) {
          logger.error('database unreachable', {method: request.method, path: request.path, error: err.name, reason: err.message});
          err = database;
        }
      }
      const statusCode = err.statusCode ?? err.status ?? 500;
      if (statusCode > 500) metrics.peerFailed(err);
      // 502, 503 and 504 are answers this API chose (a peer is down or slow)
      // and their message says which; a 500 stays opaque.
      if (statusCode > 500 && HttpErrors.isHttpError(err)) err.expose = true;
      if (!response.headersSent && err.headers) {
        for (const [name, value] of Object.entries(err.headers)) {
          response.setHeader(name, value);
        }
      }
      // A 500 tells nothing of its cause, not even an errno code. Every answer
      // carries a stable code clients branch on (ERROR_CODES).
      const answered: HttpLikeError = statusCode === 500 ? new HttpErrors.InternalServerError() : err;
      answered.code = errorCodeOf(err, statusCode);
      writeErrorToResponse(answered, request, response, ERROR_WRITER_OPTIONS);
      if (statusCode === 500) {
        logger.error('request failed', {
          method: request.method,
          path: request.path,
          statusCode,
          error: err.name,
          reason: err.message,
          stack: err.stack,
        });
      } else if (statusCode > 500) {
        logger.warn('a peer failed a request', {method: request.method, path: request.path, statusCode, reason: err.message});
      }
    };
  }
}
