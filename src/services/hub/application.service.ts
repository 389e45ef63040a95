import {BindingScope, inject, injectable} from '@loopback/core';
import type {AppConfig} from '../../config';
import {AppBindings} from '../../keys';
import {invalidFields} from '../../utils/api-error.util';

/**
 * The applications the hub offers (HUB_APPLICATIONS). A template naming
 * another could be saved but never started: it is refused when written.
 */
@injectable({scope: BindingScope.SINGLETON})
export class ApplicationService {
  constructor(@inject(AppBindings.CONFIG) private readonly config: AppConfig) {}

  names(): string[] {
    return [...this.config.hub.applications];
  }

  /** Where a file opens in a server of `application` (FILE_LINK_PATH, `{path}` filled in); undefined when it names none for it. */
  filePath(application: string, segments: string[]): string | undefined {
    const {linkPaths} = this.config.files;
    const linkPath = linkPaths[application.toLowerCase()] ?? linkPaths['*'];
    return linkPath?.replace('{path}', segments.map(encodeURIComponent).join('/'));
  }

  /** The offered application `name` names, as the configuration spells it; 400 naming applicationType when none. */
  offered(name: string): string {
    const found = this.config.hub.applications.find(application => application.toLowerCase() === name.toLowerCase());
    if (found === undefined) {
      const message = `"${name}" is not an application this hub offers; it offers ${this.config.hub.applications.join(', ')}`;
      throw invalidFields([{path: '/applicationType', code: 'offered', message}]);
    }
    return found;
  }
}
