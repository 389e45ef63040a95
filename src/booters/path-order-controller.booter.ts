import {ControllerBooter} from '@loopback/boot';

/**
 * LoopBack's controller booter, binding the controllers in the order of
 * their files' paths. Its glob walks `controllers/` and the folders of
 * `kinds/` at once and answers files in the order it meets them, which
 * differs from one start to the next; the controllers' order is the order
 * of the schemas in the spec, which must be the same at every start.
 */
export class PathOrderControllerBooter extends ControllerBooter {
  override async discover(): Promise<void> {
    await super.discover();
    this.discovered.sort();
  }
}
