import {BindingScope, injectable, service} from '@loopback/core';
import type {SchemaObject} from '@loopback/rest';
import type {ShareableKind} from '../../models/grant.model';
import type {Plain} from '../../models/plain';
import {Template} from './template.model';
import type {Caller} from '../../services/identity/identity.service';
import {AccessService} from '../../services/access/access.service';

const REFERENCES = [
  ['datasets', 'dataset'],
  ['modules', 'module'],
  ['secrets', 'secret'],
] as const satisfies ReadonlyArray<readonly [keyof Template, ShareableKind]>;
type ReferenceField = (typeof REFERENCES)[number][0];

/** How many of a template's references of each kind its viewer is not shown. */
export type HiddenReferences = Record<ReferenceField, number>;

/** A template as one viewer is answered it. */
export type TemplateView = Plain<Template> & {hiddenReferences?: HiddenReferences};

export const HIDDEN_REFERENCES_SCHEMA: SchemaObject = {
  type: 'object',
  description:
    'Present when the datasets, modules or secrets lists leave out ids the caller may not read (or that no longer exist): ' +
    'how many of each were left out. Those ids are never answered; starting a server checks every reference again.',
  required: REFERENCES.map(([field]) => field),
  additionalProperties: false,
  properties: Object.fromEntries(REFERENCES.map(([field]) => [field, {type: 'integer', minimum: 0}])),
};

/**
 * Templates as their viewer sees them. A public or shared template may
 * reference resources its viewer may not read; their ids stay out of the
 * answer (ids of private resources tell what exists), and only how many
 * were left out is said. Owners and admins are viewers like anyone else.
 */
@injectable({scope: BindingScope.SINGLETON})
export class TemplateViewService {
  constructor(@service(AccessService) private readonly access: AccessService) {}

  /** One template, read or just written (then as its JSON answers it, hidden properties left out). */
  async forViewer(caller: Caller, template: Plain<Template> | Template): Promise<TemplateView> {
    const plain = template instanceof Template ? (template.toJSON() as Plain<Template>) : template;
    return (await this.allForViewer(caller, [plain]))[0];
  }

  /** Every template of a page at the same cost: one access question per kind for the distinct ids of all of them. */
  async allForViewer(caller: Caller, templates: ReadonlyArray<Plain<Template>>): Promise<TemplateView[]> {
    const asked: Partial<Record<ShareableKind, string[]>> = {};
    for (const [field, kind] of REFERENCES) {
      asked[kind] = [...new Set(templates.flatMap(template => template[field] ?? []))];
    }
    const readable = await this.access.readableAmong(caller, asked);
    return templates.map(template => {
      const hidden: HiddenReferences = {datasets: 0, modules: 0, secrets: 0};
      for (const [field, kind] of REFERENCES) {
        for (const id of template[field] ?? []) if (!readable.get(kind)?.has(id)) hidden[field]++;
      }
      // Most answers hide nothing: the stored row is answered as it is, uncopied.
      if (hidden.datasets + hidden.modules + hidden.secrets === 0) return template;
      const view: Record<string, unknown> = {...template, hiddenReferences: hidden};
      for (const [field, kind] of REFERENCES) {
        if (hidden[field] > 0) view[field] = template[field]!.filter(id => readable.get(kind)?.has(id));
      }
      return view as TemplateView;
    });
  }
}
