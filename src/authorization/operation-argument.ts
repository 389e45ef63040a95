import {OperationObject, ParameterObject, REQUEST_BODY_INDEX, RequestBodyObject} from '@loopback/rest';
import type {IdParam} from './access-requirement';

/** Per operation, the argument index of each asked-for parameter. */
const indexes = new WeakMap<OperationObject, Map<string, number>>();

/**
 * The parsed value of one parameter of an operation, read from the
 * arguments LoopBack hands the controller method's interceptors. They are
 * laid out as its parser lays them out: the operation's parameters in order,
 * the body spliced in at the request body's `x-parameter-index`.
 */
export function operationArgument(operation: OperationObject, args: readonly unknown[], where: IdParam): unknown {
  let byParam = indexes.get(operation);
  if (!byParam) indexes.set(operation, (byParam = new Map()));
  const key = `${where.in}\u0000${where.name}`;
  let index = byParam.get(key);
  if (index === undefined) {
    index = argumentIndex(operation, where);
    byParam.set(key, index);
  }
  const value = args[index];
  if (where.in !== 'body') return value;
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>)[where.name] : undefined;
}

function argumentIndex(operation: OperationObject, where: IdParam): number {
  const body = operation.requestBody as RequestBodyObject | undefined;
  const bodyIndex = body ? ((body[REQUEST_BODY_INDEX] as number | undefined) ?? 0) : -1;
  if (where.in === 'body') {
    if (bodyIndex < 0) throw new Error(`${operation.operationId} has no request body to authorize on`);
    return bodyIndex;
  }
  const parameters = (operation.parameters ?? []) as ParameterObject[];
  const position = parameters.findIndex(p => p.in === where.in && p.name === where.name);
  if (position < 0) throw new Error(`${operation.operationId} has no ${where.in} parameter ${where.name} to authorize on`);
  return bodyIndex >= 0 && bodyIndex <= position ? position + 1 : position;
}
