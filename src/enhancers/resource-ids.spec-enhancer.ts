import {injectable} from '@loopback/core';
import {asSpecEnhancer, OASEnhancer, OpenApiSpec, ReferenceObject, SchemaObject} from '@loopback/rest';

/** The property every stored resource is named by. */
const ID = '_id';

/**
 * Every stored resource is answered with its `_id`, which the store gives it
 * on creation: LoopBack leaves a generated id optional in the model's schema
 * (it is absent until the record is created), so generated clients would type
 * it `string | undefined`. Schemas that name `_id` are the resources as
 * answered (request bodies leave it out and refuse it, see
 * `additionalProperties`), so there it is required and read-only.
 */
@injectable(asSpecEnhancer)
export class ResourceIdsSpecEnhancer implements OASEnhancer {
  readonly name = 'resource-ids';

  modifySpec(spec: OpenApiSpec): OpenApiSpec {
    for (const schema of Object.values(spec.components?.schemas ?? {}) as Array<SchemaObject | ReferenceObject>) {
      if ('$ref' in schema || !schema.properties?.[ID]) continue;
      schema.properties[ID] = {...schema.properties[ID], readOnly: true};
      schema.required = [ID, ...(schema.required ?? []).filter(field => field !== ID)];
    }
    return spec;
  }
}
