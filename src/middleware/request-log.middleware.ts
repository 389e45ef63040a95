import {injectable, Provider, service} from '@loopback/core';
import {asMiddleware, Middleware, RestMiddlewareGroups} from '@loopback/rest';
import {LoggerService} from '../services/logger.service';

/**
 * One log line per answered request: method, path without its query string
 * (the ELN sends its session token there), status and duration.
 */
@injectable(
  asMiddleware({
    group: 'requestLog',
    upstreamGroups: [RestMiddlewareGroups.SEND_RESPONSE],
    downstreamGroups: [RestMiddlewareGroups.CORS],
  }),
)
export class RequestLogMiddlewareProvider implements Provider<Middleware> {
  constructor(@service(LoggerService) private readonly logger: LoggerService) {}

  value(): Middleware {
    return async ({request, response}, next) => {
      if (!this.logger.enabled('info')) return next();
      const started = process.hrtime.bigint();
      response.once('finish', () => {
        this.logger.info('request', {
          method: request.method,
          path: request.path,
          status: response.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6,
        });
      });
      return next();
    };
  }
}
