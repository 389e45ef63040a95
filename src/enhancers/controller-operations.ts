import {Constructor, Context, CoreTags} from '@loopback/core';
import {OpenApiSpec, OperationObject} from '@loopback/rest';

/** An operation of the spec and the controller class serving it, if a controller does. */
export interface ControllerOperation {
  path: string;
  method: string;
  operation: OperationObject;
  controller?: Constructor<{}>;
}

/**
 * Every operation of the spec, with the controller class of `context` that
 * serves it, found by the name LoopBack writes into the operation
 * (`x-controller-name`): the spec enhancers read the metadata of the
 * method (`x-operation-name`) on that class.
 */
export function controllerOperations(context: Context, spec: OpenApiSpec): ControllerOperation[] {
  const controllers = new Map<string, Constructor<{}>>();
  for (const binding of context.findByTag(CoreTags.CONTROLLER)) {
    if (binding.valueConstructor) controllers.set(binding.valueConstructor.name, binding.valueConstructor);
  }
  return Object.entries(spec.paths).flatMap(([path, pathItem]) =>
    (Object.entries(pathItem) as Array<[string, OperationObject]>).map(([method, operation]) => ({
      path,
      method,
      operation,
      controller: controllers.get(operation['x-controller-name']),
    })),
  );
}
