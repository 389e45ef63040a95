import {inject} from '@loopback/core';
import {
  BodyParser,
  BodyParserMiddleware,
  builtinParsers,
  getParserOptions,
  invokeBodyParserMiddleware,
  Request,
  RequestBody,
  RequestBodyParserOptions,
  RestBindings,
} from '@loopback/rest';
import type bodyParser from 'body-parser';
import {createRequire} from 'node:module';
import type typeIs from 'type-is';
import {assertJsonDepth} from '../utils/json-depth.util';
import {assertAllowedKeys, PROHIBITED_JSON_KEYS} from '../utils/json-keys.util';
import {awaitLargeBodyTurn} from '../utils/large-bodies.util';

// The body-parser and type-is LoopBack's own JSON body parser uses.
const restRequire = createRequire(require.resolve('@loopback/rest'));
const {json} = restRequire('body-parser') as typeof bodyParser;
const {is} = restRequire('type-is') as typeof typeIs;

/**
 * LoopBack's JSON body parser (same media types, options and answers),
 * refusing a body nested deeper than JSON_MAX_DEPTH before it is parsed,
 * and the keys LoopBack refuses (`__proto__`, `constructor.prototype`, and
 * RequestBodyParserOptions' `validation.prohibitedKeys`) looked for in the
 * parsed value instead of by a JSON.parse reviver (see json-keys.util).
 * Large bodies wait their turn (see large-bodies.util).
 */
export class DepthLimitedJsonBodyParser implements BodyParser {
  name = builtinParsers.json;
  private readonly jsonParser: BodyParserMiddleware;
  private readonly prohibitedKeys: string[];

  constructor(
    @inject(RestBindings.REQUEST_BODY_PARSER_OPTIONS, {optional: true})
    options: RequestBodyParserOptions = {},
  ) {
    this.prohibitedKeys = [...PROHIBITED_JSON_KEYS, ...(options.validation?.prohibitedKeys ?? [])];
    this.jsonParser = json({
      ...getParserOptions('json', options),
      // body-parser answers what verify throws with the error's own status (400 here).
      verify: (_request, _response, body, encoding) =>
        assertJsonDepth(/^utf-?8$/i.test(encoding) ? body : body.toString(encoding as BufferEncoding)),
    });
  }

  supports(mediaType: string): boolean {
    return !!is(mediaType, '*/json', '*/*+json');
  }

  async parse(request: Request): Promise<RequestBody> {
    await awaitLargeBodyTurn(request);
    const body: unknown = await invokeBodyParserMiddleware(this.jsonParser, request);
    // As LoopBack's parser answers it: an empty body is none.
    const contentLength = request.get('content-length');
    if (contentLength !== undefined && Number(contentLength) === 0) return {value: undefined};
    assertAllowedKeys(body, this.prohibitedKeys);
    return {value: body};
  }
}
