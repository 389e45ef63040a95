import {inject} from '@loopback/core';
import {
  BodyParser,
  HttpErrors,
  Request,
  RequestBody,
  RequestBodyParserOptions,
  RestBindings,
  TextBodyParser,
} from '@loopback/rest';
import {assertJsonDepth} from '../utils/json-depth.util';
import {assertAllowedKeys} from '../utils/json-keys.util';
import {awaitLargeBodyTurn} from '../utils/large-bodies.util';

/**
 * The openBIS ELN's JupyterUtil.js posts the notebook with jQuery's default
 * content type, `application/x-www-form-urlencoded; charset=UTF-8`, and the
 * notebook's JSON as the raw body: read as text (within MAX_BODY_SIZE, in
 * the body's charset) and parsed as JSON, not as a form. Large bodies
 * wait their turn as JSON bodies do.
 */
export class ElnNotebookBodyParser implements BodyParser {
  readonly name = 'eln-notebook';
  private readonly text: TextBodyParser;

  constructor(
    @inject(RestBindings.REQUEST_BODY_PARSER_OPTIONS, {optional: true})
    options: RequestBodyParserOptions = {},
  ) {
    this.text = new TextBodyParser({...options, text: {...options.text, type: () => true}});
  }

  supports(mediaType: string): boolean {
    return mediaType.startsWith('application/x-www-form-urlencoded');
  }

  async parse(request: Request): Promise<RequestBody> {
    await awaitLargeBodyTurn(request);
    const {value} = await this.text.parse(request);
    assertJsonDepth(value as string);
    let notebook: unknown;
    try {
      notebook = JSON.parse(value as string);
    } catch {
      throw new HttpErrors.BadRequest('The ELN form\'s body must be the notebook as JSON');
    }
    // The keys the JSON body parser refuses.
    assertAllowedKeys(notebook);
    return {value: notebook};
  }
}
