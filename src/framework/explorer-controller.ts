import {authenticate} from '@loopback/authentication';
import {intercept, Interceptor} from '@loopback/core';
import {ExplorerController} from '@loopback/rest-explorer/dist/rest-explorer.controller';

/**
 * Decorates the explorer's controller, which @loopback/rest-explorer only
 * exports from its `dist` folder, once per process. The explorer page is
 * public like the spec it shows; the default strategy would otherwise
 * protect its controller too. `everyRoute` runs for each of its routes
 * (the headers that keep the page out of frames); `ownSpec` for its method
 * `spec`, the copy of the spec its page loads (/explorer/openapi.json), the
 * one people see.
 */
export function decorateExplorer(everyRoute: Interceptor, ownSpec: Interceptor): void {
  authenticate.skip()(ExplorerController);
  intercept(everyRoute)(ExplorerController);
  intercept(ownSpec)(ExplorerController.prototype, 'spec', Object.getOwnPropertyDescriptor(ExplorerController.prototype, 'spec'));
}
