import {inject} from '@loopback/core';
import {JsonBodyParser, RequestBodyParserOptions, RestBindings} from '@loopback/rest';
import {assertJsonDepth} from '../utils/json-depth.util';

/**
 * LoopBack's JSON body parser, refusing a body nested deeper than
 * JSON_MAX_DEPTH before it is parsed: the parser's reviver (which strips
 * `__proto__`) recurses once per level and would overflow the stack,
 * answered as a RangeError.
 */
export class DepthLimitedJsonBodyParser extends JsonBodyParser {
  constructor(
    @inject(RestBindings.REQUEST_BODY_PARSER_OPTIONS, {optional: true})
    options: RequestBodyParserOptions = {},
  ) {
    super({
      ...options,
      json: {
        ...options.json,
        // body-parser answers what verify throws with the error's own status (400 here).
        verify: (_request, _response, body, encoding) =>
          assertJsonDepth(/^utf-?8$/i.test(encoding) ? body : body.toString(encoding as BufferEncoding)),
      },
    });
  }
}
