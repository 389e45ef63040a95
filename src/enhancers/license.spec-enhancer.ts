import {CoreBindings, inject, injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec} from '@loopback/rest';

/**
 * Declares the license package.json names (an SPDX identifier) as the
 * document's `info.license`, so the two cannot disagree; LoopBack's own info
 * enhancer carries the name, version, description and contact only.
 */
@injectable(asSpecEnhancer)
export class LicenseSpecEnhancer implements OASEnhancer {
  readonly name = 'license';

  constructor(@inject(CoreBindings.APPLICATION_METADATA, {optional: true}) private readonly pkg?: {license?: unknown}) {}

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    const license = this.pkg?.license;
    if (typeof license !== 'string') return spec;
    // OpenAPI 3.0 has no `identifier`: the SPDX page is the license's address.
    return {...spec, info: {...spec.info, license: {name: license, url: `https://spdx.org/licenses/${license}.html`}}};
  }
}
