import {BindingScope, injectable} from '@loopback/core';
import {HttpErrors} from '@loopback/rest';
import Ajv, {ValidateFunction} from 'ajv-draft-04';
import v40 from '../../schemas/nbformat/nbformat.v4.0.schema.json';
import v41 from '../../schemas/nbformat/nbformat.v4.1.schema.json';
import v42 from '../../schemas/nbformat/nbformat.v4.2.schema.json';
import v43 from '../../schemas/nbformat/nbformat.v4.3.schema.json';
import v44 from '../../schemas/nbformat/nbformat.v4.4.schema.json';
import v45 from '../../schemas/nbformat/nbformat.v4.5.schema.json';
import {assertJsonDepth, indentationCost} from '../../utils/json-depth.util';

export type Notebook = Record<string, unknown> & {nbformat: number; nbformat_minor: number};

const SCHEMAS = [v40, v41, v42, v43, v44, v45];

/**
 * Validates notebooks against the official nbformat v4 JSON schemas, each
 * against the schema of its own minor version as nbformat does.
 */
@injectable({scope: BindingScope.SINGLETON})
export class NotebookValidatorService {
  private readonly validators: ValidateFunction[];

  constructor() {
    const ajv = new Ajv({allErrors: true, strict: false});
    this.validators = SCHEMAS.map(schema => ajv.compile(schema));
  }

  /** The notebook, parsed if it came as JSON text; 400 naming what is wrong. */
  parse(content: unknown): Notebook {
    let notebook = content;
    if (typeof content === 'string') {
      assertJsonDepth(content, '/content');
      try {
        notebook = JSON.parse(content);
      } catch (err) {
        throw new HttpErrors.BadRequest(`The notebook is not valid JSON: ${(err as Error).message}`);
      }
    }
    if (typeof notebook !== 'object' || notebook === null || Array.isArray(notebook)) {
      throw new HttpErrors.BadRequest('The notebook must be a JSON object');
    }
    const {nbformat, nbformat_minor: minor} = notebook as Notebook;
    if (nbformat !== 4) {
      throw new HttpErrors.BadRequest(`Only nbformat 4 notebooks are accepted, this one says nbformat ${JSON.stringify(nbformat)}`);
    }
    if (!Number.isInteger(minor) || minor < 0) {
      throw new HttpErrors.BadRequest('nbformat_minor must be a non-negative integer');
    }
    const validate = this.validators[Math.min(minor, this.validators.length - 1)];
    if (!validate(notebook)) {
      const problems = (validate.errors ?? []).slice(0, 5).map(e => `${e.instancePath || '/'} ${e.message}`);
      throw Object.assign(
        new HttpErrors.BadRequest(`The notebook is not a valid nbformat 4.${minor} notebook: ${problems.join('; ')}`),
        {details: problems},
      );
    }
    return notebook as Notebook;
  }

  /**
   * The file of a notebook: indented by one space as Jupyter writes it,
   * unless the indentation would more than double its size (deep nesting
   * costs one space per level on every line), then compact; and a newline.
   * In two parts, written one after the other: joined, the text of a large
   * notebook would be copied once more.
   */
  serialise(notebook: Notebook): readonly string[] {
    const indented = JSON.stringify(notebook, null, 1);
    // The indentation is more than half the indented text: it more than doubles the compact one.
    return [2 * indentationCost(notebook) <= indented.length ? indented : JSON.stringify(notebook), '\n'];
  }
}
