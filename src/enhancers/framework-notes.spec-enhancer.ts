import {injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec} from '@loopback/rest';

/** What LoopBack writes into the description of a schema made with options: `(tsType: Omit<...>, schemaOptions: ...)`. */
const FRAMEWORK_NOTE = /^\(tsType: /;

/**
 * Leaves LoopBack's notes to itself out of the contract: clients generated
 * from it would show them as documentation.
 */
@injectable(asSpecEnhancer)
export class FrameworkNotesSpecEnhancer implements OASEnhancer {
  readonly name = 'framework-notes';

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    dropNotes(spec);
    return spec;
  }
}

function dropNotes(value: unknown): void {
  if (Array.isArray(value)) {
    value.forEach(dropNotes);
    return;
  }
  if (typeof value !== 'object' || value === null) return;
  const node = value as Record<string, unknown>;
  if (typeof node.description === 'string' && FRAMEWORK_NOTE.test(node.description)) delete node.description;
  Object.values(node).forEach(dropNotes);
}
