import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {del, get, getModelSchemaRef, HttpErrors, oas, param, patch, post, Request, requestBody, RestBindings, SchemaObject} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {IdParam, requireRootAccess} from '../authorization/access-requirement';
import type {AuthorizedResource} from '../types/resource-access';
import {OIDC_BEARER_STRATEGY, OPENBIS_SESSION_STRATEGY, ResourceBindings} from '../keys';
import {errorResponseRef} from '../enhancers/error-responses.spec-enhancer';
import {Server} from '../kinds/server/server.model';
import {ApplicationService} from '../services/hub/application.service';
import {FileOpeningService, OpenedFile} from '../kinds/server/file-opening.service';
import {HardwareOption, HardwareService} from '../services/hub/hardware.service';
import {HubUserService} from '../services/hub/hub-user.service';
import type {Caller} from '../services/identity/identity.service';
import {UploadResult, UploadService} from '../services/files/upload.service';
import {ElnNotebookBodyParser} from '../body-parsers/eln-notebook.body-parser';
import {Checkpoint} from '../services/files/checkpoint.service';
import {TrashedFile} from '../services/files/file-trash.service';
import {FILE_FORMATS, FILE_TYPES, FileContentModel, FileModel, FileRequest, rootOf, VolumeRoot, VolumeService} from '../services/files/volume.service';
import {LUA_FUNCTIONS, LuaFunction} from '../kinds/module/lua-modulefile.service';
import {OPENED_FILE_ANSWER} from '../kinds/answer-examples';
import {jsonAnswer, jsonResponse} from '../kinds/json-spec.helpers';

const FILE_ENTRY_PROPERTIES: Record<string, SchemaObject> = {
  name: {type: 'string'},
  path: {type: 'string', description: 'Relative to the root'},
  root: {type: 'string', description: '`home`, a dataset id or `module:{id}`'},
  type: {type: 'string', enum: [...FILE_TYPES]},
  size: {type: 'integer'},
  last_modified: {type: 'string', format: 'date-time'},
  executable: {type: 'boolean', description: 'Files in a module\'s binaries (root `module:{id}`) only: whether it runs as a program (0755) or not (0644)'},
};
const LINK: SchemaObject = {
  type: 'string',
  nullable: true,
  description: 'Home files: the launcher\'s page with `?open=<path>`, which opens the file in a server of the person, starting their default template when none runs (POST /volume/open)',
};

const OPENED_FILE: SchemaObject = {
  title: 'OpenedFile',
  type: 'object',
  required: ['path', 'server', 'url'],
  properties: {
    path: {type: 'string', description: 'The file, relative to your home'},
    server: getModelSchemaRef(Server),
    url: {type: 'string', description: 'The file in the server\'s application (FILE_LINK_PATH); go there once the server runs'},
  },
};

const FILE_MODEL: SchemaObject = {
  title: 'FileEntry',
  type: 'object',
  required: ['name', 'path', 'root', 'type', 'size', 'last_modified'],
  properties: {
    ...FILE_ENTRY_PROPERTIES,
    content: {type: 'string', nullable: true, description: 'Always null: the content is not echoed'},
    link: LINK,
    fileName: {type: 'string', description: 'The ELN form only: the file name, as the openBIS ELN reads it'},
  },
};

const FILE_CONTENT_MODEL: SchemaObject = {
  title: 'FileWithContent',
  type: 'object',
  required: ['name', 'path', 'root', 'type', 'size', 'last_modified', 'content', 'format', 'mimetype'],
  properties: {
    ...FILE_ENTRY_PROPERTIES,
    content: {
      description:
        'With content: a notebook as its JSON, a text file as text, another file in base64, a folder as its entries; null without',
      anyOf: [
        {type: 'object', description: 'A notebook'},
        {type: 'array', items: {type: 'object'}, description: 'A folder\'s entries'},
        {type: 'string', nullable: true, description: 'Text, or base64; null without content'},
      ],
    },
    format: {type: 'string', enum: [...FILE_FORMATS, null], nullable: true},
    mimetype: {type: 'string', nullable: true},
    link: LINK,
  },
};

const CHECKPOINT: SchemaObject = {
  title: 'Checkpoint',
  type: 'object',
  required: ['id', 'size', 'last_modified'],
  properties: {id: {type: 'string'}, size: {type: 'integer'}, last_modified: {type: 'string', format: 'date-time'}},
};

const TRASHED_FILE: SchemaObject = {
  title: 'TrashedFile',
  type: 'object',
  required: ['id', 'path', 'type', 'deleted_at'],
  properties: {
    id: {type: 'string'},
    path: {type: 'string', description: 'Where it was, relative to the root; restoring puts it back there'},
    type: {type: 'string', enum: ['file', 'directory']},
    deleted_at: {type: 'string', format: 'date-time'},
  },
};

const FILE_REQUEST: SchemaObject = {
  title: 'FileRequest',
  type: 'object',
  required: ['type', 'name'],
  additionalProperties: false,
  properties: {
    type: {type: 'string', enum: [...FILE_TYPES]},
    name: {type: 'string', minLength: 1, maxLength: 255},
    path: {type: 'string', maxLength: 4096, description: 'Folder under the root; missing folders are created'},
    root: {
      type: 'string',
      description: '`home` (default), the id of a dataset you may write, or `module:{id}`: the binaries folder of a module you may write, which its modulefile puts on PATH',
    },
    content: {description: 'notebook: an nbformat 4 object or its JSON text; file: text (or base64 with format)'},
    format: {type: 'string', enum: ['text', 'base64']},
    executable: {
      type: 'boolean',
      description: 'type file in a module\'s binaries only: true writes it runnable by everyone (0755), false or absent readable only (0644); never setuid',
    },
  },
};

/** The body of the ELN form: the notebook itself. */
const ELN_NOTEBOOK: SchemaObject = {
  title: 'ElnNotebook',
  type: 'object',
  required: ['cells', 'metadata', 'nbformat', 'nbformat_minor'],
  description: 'With ?token=&folder=&filename= (the openBIS ELN form), the body is the notebook (nbformat 4, checked in full on write)',
  properties: {
    cells: {type: 'array', items: {type: 'object', additionalProperties: true}, description: 'The notebook\'s cells'},
    metadata: {type: 'object', additionalProperties: true},
    nbformat: {type: 'integer', enum: [4]},
    nbformat_minor: {type: 'integer', minimum: 0},
  },
  additionalProperties: true,
};

/** A notebook in a home as the file routes answer it. */
const FILE_EXAMPLE = {
  name: 'analysis.ipynb',
  path: 'analysis.ipynb',
  root: 'home',
  type: 'notebook',
  size: 72,
  last_modified: '2026-03-02T09:30:00.000Z',
  content: null,
  link: 'https://notebooks.example.org/?open=analysis.ipynb',
};
const CHECKPOINT_EXAMPLE = {id: '2026-03-02T09-45-00-000Z-a67e1e', size: 72, last_modified: '2026-03-02T09:30:00.000Z'};
const TRASHED_EXAMPLE = {id: '2026-03-02T10-00-00-000Z-9c89d1', path: 'old/analysis.ipynb', type: 'file', deleted_at: '2026-03-02T10:00:00.000Z'};

const ROOT_IN_QUERY: IdParam = {in: 'query', name: 'root'};
const ROOT_IN_BODY: IdParam = {in: 'body', name: 'root'};
/** The root as the caller names it: declared here for the spec and read by the authorizer; handlers act on FILE_ROOT. */
const ROOT = param.query.string('root', {description: '`home` (default), a dataset id, or `module:{id}` (a module\'s binaries folder)'});
const FILE_PATH = param.query.string('path', {required: true, description: 'The file or folder, relative to the root'});
/**
 * The root the route acts on (rootOf): the dataset or module the authorizer
 * decided on and bound for the handler, else the caller's home. Injected
 * once the authorizer ran, as the handler's other parameters are.
 */
const FILE_ROOT = inject('', {decorator: '@fileRoot'}, async context =>
  rootOf(await context.get<Caller>(SecurityBindings.USER), await context.get(ResourceBindings.AUTHORIZED, {optional: true})),
);

@oas.tags('Files')
@injectable({scope: BindingScope.SINGLETON})
export class VolumeController {
  constructor(
    @service(HardwareService) private readonly hardware: HardwareService,
    @service(ApplicationService) private readonly applications: ApplicationService,
    @service(VolumeService) private readonly volumes: VolumeService,
    @service(UploadService) private readonly uploads: UploadService,
    @service(FileOpeningService) private readonly opening: FileOpeningService,
    @service(HubUserService) private readonly hubUsers: HubUserService,
  ) {}

  @requireRootAccess('write', ROOT_IN_BODY)
  @authenticate(OPENBIS_SESSION_STRATEGY, OIDC_BEARER_STRATEGY)
  @post('/volume/file', {operationId: 'writeFile', summary: 'Write a notebook, a file or a folder', description:
      'Writes a notebook (validated as nbformat 4), a file or a folder into your home, a dataset you may write, ' +
      'or the binaries folder of a module you may write (root `module:{id}`; `executable` makes a file a program on the module\'s PATH). ' +
      'An existing file is overwritten and its previous content kept as a checkpoint; writes are atomic. ' +
      'ELN form: `?token=<openBIS session token>&folder=&filename=` (the `openbisToken` scheme) with the notebook as the body writes into that user\'s home; ' +
      'the body may come as JSON or, as the openBIS ELN\'s jQuery sends it, under `application/x-www-form-urlencoded` with the JSON as the raw body. ' +
      'The ELN form answers `fileName` too, and allows the origins of ELN_ORIGINS (CORS).',
    responses: {'200': jsonAnswer('The file, with the link that opens it', FILE_MODEL, FILE_EXAMPLE)},
  })
  async writeFile(
    @inject(SecurityBindings.USER) caller: Caller,
    @FILE_ROOT root: VolumeRoot,
    @requestBody({
      required: true,
      content: {
        'application/json': {
          schema: {anyOf: [FILE_REQUEST, ELN_NOTEBOOK]},
          example: {type: 'notebook', name: 'analysis.ipynb', path: '', content: {cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5}},
        },
        'application/x-www-form-urlencoded': {'x-parser': ElnNotebookBodyParser, schema: ELN_NOTEBOOK},
      },
    })
    body: FileRequest | Record<string, unknown>,
    @inject(RestBindings.Http.REQUEST) request: Request,
    @param.query.string('token', {description: 'openBIS session token (ELN form): the `openbisToken` scheme, here for clients that set query parameters alone'}) token?: string,
    @param.query.string('folder', {description: 'Folder in the home (ELN form)'}) folder?: string,
    @param.query.string('filename', {description: 'Notebook file name (ELN form)'}) filename?: string,
  ): Promise<FileModel & {fileName?: string}> {
    if (token !== undefined) {
      const model = await this.hubUsers.writeForEln(caller, body, folder, filename);
      return {...model, fileName: model.name};
    }
    const formBody = Boolean(request.is('application/x-www-form-urlencoded'));
    if (formBody || !('type' in body)) {
      throw new HttpErrors.BadRequest('Give {type, name, path?, root?, content} as JSON, or use the ELN form with ?token=&filename=');
    }
    const fileRequest = body as FileRequest;
    return this.volumes.write(root, fileRequest);
  }

  @post('/volume/open', {operationId: 'openFile', summary: 'Open a file of your home in one of your servers', description:
      'Answers a server of yours holding your home (a running one, else one starting) and where the file opens in it. ' +
      'When none runs, your default template is started (DEFAULT_TEMPLATE_ID if you may read it, else the template you last launched), ' +
      'on a stopped server of yours on it if there is one: follow GET /servers/{id}/progress, then go to `url`. ' +
      'With no default template, 409 `no_default_template`. The launcher\'s `?open=` links (the `link` of POST /volume/file) call it (addition).',
    responses: {'200': jsonAnswer('The file and the server it opens in', OPENED_FILE, OPENED_FILE_ANSWER), '404': errorResponseRef(404), '409': errorResponseRef(409)},
  })
  open(
    @inject(SecurityBindings.USER) caller: Caller,
    @param.query.string('path', {required: true, description: 'The file, relative to your home', schema: {type: 'string', minLength: 1, maxLength: 4096}}) filePath: string,
  ): Promise<OpenedFile> {
    return this.opening.open(caller, filePath);
  }

  @requireRootAccess('read', ROOT_IN_QUERY)
  @get('/volume/file', {operationId: 'readFile', summary: 'Read a file or folder with its content', description:
      'A file or folder with its content, as the Jupyter contents API answers it: notebooks as JSON, text as text, ' +
      'other files in base64 (at most FILE_READ_MAX_BYTES, else 413), folders as their entries; `content=0` for the model alone (addition).',
    responses: {
      '200': jsonAnswer('The file or folder', FILE_CONTENT_MODEL, {
        ...FILE_EXAMPLE,
        content: {cells: [], metadata: {}, nbformat: 4, nbformat_minor: 5},
        format: 'json',
        mimetype: null,
      }),
    },
  })
  async readFile(
    @ROOT rootName: string | undefined,
    @FILE_ROOT root: VolumeRoot,
    @param.query.string('path', {description: 'The file or folder, relative to the root (empty: the root)'}) filePath: string | undefined,
    @param.query.integer('content', {description: '1 (default): with the content; 0: the model alone'}) content?: number,
  ): Promise<FileContentModel> {
    return this.volumes.read(root, filePath, content !== 0);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @del('/volume/file', {operationId: 'deleteFile', summary: 'Move a file or folder to the trash', description: 'Moves a file or folder to the root\'s trash (`.trash`), from where it can be restored until TRASH_RETENTION_DAYS have passed (addition).',
    responses: {'200': jsonAnswer('The trash entry', TRASHED_FILE, TRASHED_EXAMPLE)},
  })
  async deleteFile(@ROOT rootName: string | undefined, @FILE_PATH filePath: string, @FILE_ROOT root: VolumeRoot): Promise<TrashedFile> {
    return this.volumes.remove(root, filePath);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @patch('/volume/file', {operationId: 'moveFile', summary: 'Rename or move a file or folder', description: 'Renames or moves a file or folder within its root; the target must not exist (409). Its checkpoints go along (addition).',
    responses: {
      '200': jsonAnswer('The file at its new path', FILE_MODEL, {
        ...FILE_EXAMPLE,
        path: 'archive/analysis.ipynb',
        link: 'https://notebooks.example.org/?open=archive%2Fanalysis.ipynb',
      }),
    },
  })
  async moveFile(
    @ROOT rootName: string | undefined,
    @FILE_PATH filePath: string,
    @requestBody({
      required: true,
      content: {
        'application/json': {
          schema: {
            title: 'FileMove',
            type: 'object',
            required: ['newPath'],
            additionalProperties: false,
            properties: {newPath: {type: 'string', minLength: 1, maxLength: 4096, description: 'The new path, relative to the same root'}},
          },
          example: {newPath: 'archive/analysis.ipynb'},
        },
      },
    })
    body: {newPath: string},
    @FILE_ROOT root: VolumeRoot,
  ): Promise<FileModel> {
    return this.volumes.move(root, filePath, body.newPath);
  }

  @requireRootAccess('read', ROOT_IN_QUERY)
  @get('/volume/trash', {operationId: 'listFileTrash', summary: 'List what can be restored from a root\'s trash', description: 'What was deleted from the root and can still be restored, newest first (addition).',
    responses: {'200': jsonAnswer('Trash entries', {type: 'array', items: TRASHED_FILE}, [TRASHED_EXAMPLE])},
  })
  async listTrash(@ROOT rootName: string | undefined, @FILE_ROOT root: VolumeRoot): Promise<TrashedFile[]> {
    return this.volumes.listTrash(root);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @post('/volume/trash/restore', {operationId: 'restoreFileFromTrash', summary: 'Put a trashed file back', description: 'Puts a trash entry back where it was; 409 if something is there now (addition).',
    responses: {'200': jsonAnswer('The restored entry', TRASHED_FILE, TRASHED_EXAMPLE)},
  })
  async restoreFromTrash(
    @ROOT rootName: string | undefined,
    @param.query.string('id', {required: true}) id: string,
    @FILE_ROOT root: VolumeRoot,
  ): Promise<TrashedFile> {
    return this.volumes.restoreFromTrash(root, id);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @post('/volume/upload', {operationId: 'uploadFiles', summary: 'Upload a notebook or a zip bundle', description:
      'Uploads as the Jupyter dashboards server takes them: a multipart field `file` holding a notebook (.ipynb) or a bundle (.zip), ' +
      'unpacked into `path` within UPLOAD_MAX_BYTES, ZIP_MAX_ENTRIES and ZIP_MAX_BYTES, no entry leaving the root; ' +
      'into a module\'s binaries (root `module:{id}`), entries the bundle marks executable (Unix mode) become programs (0755) (addition).',
    responses: {
      '200': jsonAnswer(
        'What was written',
        {
          title: 'UploadResult',
          type: 'object',
          required: ['message', 'files'],
          properties: {message: {type: 'string'}, files: {type: 'array', items: {type: 'string'}}, link: {type: 'string', nullable: true}},
        },
        {message: 'Uploaded analysis.ipynb', files: ['analysis.ipynb'], link: FILE_EXAMPLE.link},
      ),
    },
  })
  async upload(
    @requestBody({
      required: true,
      content: {
        'multipart/form-data': {
          'x-parser': 'stream',
          schema: {title: 'FileUpload', type: 'object', properties: {file: {type: 'string', format: 'binary'}}},
        },
      },
    })
    request: Request,
    @ROOT rootName: string | undefined,
    @param.query.string('path', {description: 'Folder under the root'}) folder: string | undefined,
    @FILE_ROOT root: VolumeRoot,
  ): Promise<UploadResult> {
    return this.uploads.upload(root, folder, request);
  }

  @requireRootAccess('read', ROOT_IN_QUERY, 'email')
  @get('/volume/files', {operationId: 'listFiles', summary: 'List a folder', responses: {
      '200': jsonAnswer('The folder\'s files and folders (hidden ones left out)', {type: 'array', items: FILE_MODEL}, [
        {name: 'analysis.ipynb', path: 'analysis.ipynb', root: 'home', type: 'notebook', size: 72, last_modified: '2026-03-02T09:30:00.000Z'},
        {name: 'archive', path: 'archive', root: 'home', type: 'directory', size: 4096, last_modified: '2026-03-01T17:45:00.000Z'},
      ]),
    },
  })
  async listFiles(
    @inject(SecurityBindings.USER) caller: Caller,
    @ROOT root?: string,
    @param.query.string('path', {description: 'Folder under the root'}) folder?: string,
    @param.query.string('email', {description: 'Another person\'s home (admins)'}) email?: string,
    @inject(ResourceBindings.AUTHORIZED, {optional: true}) rootResource?: AuthorizedResource,
  ) {
    return this.volumes.list(this.volumes.root(caller, rootResource, email), folder);
  }

  @requireRootAccess('read', ROOT_IN_QUERY)
  @get('/volume/checkpoints', {operationId: 'listCheckpoints', summary: 'List a file\'s checkpoints', description: 'Earlier versions kept of a file, newest first (addition).',
    responses: {'200': jsonAnswer('Checkpoints', {type: 'array', items: CHECKPOINT}, [CHECKPOINT_EXAMPLE])},
  })
  async checkpoints(@ROOT rootName: string | undefined, @FILE_PATH filePath: string, @FILE_ROOT root: VolumeRoot): Promise<Checkpoint[]> {
    return this.volumes.checkpoints(root, filePath);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @post('/volume/checkpoints', {operationId: 'createCheckpoint', summary: 'Keep a checkpoint of a file', description: 'Keeps a copy of the file as it is now (at most FILE_READ_MAX_BYTES); the oldest beyond CHECKPOINTS_KEPT go (addition).',
    responses: {'200': jsonAnswer('The new checkpoint', CHECKPOINT, CHECKPOINT_EXAMPLE)},
  })
  async createCheckpoint(@ROOT rootName: string | undefined, @FILE_PATH filePath: string, @FILE_ROOT root: VolumeRoot): Promise<Checkpoint> {
    return this.volumes.createCheckpoint(root, filePath);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @del('/volume/checkpoints', {operationId: 'deleteCheckpoint', summary: 'Delete a checkpoint', description: 'Deletes one checkpoint of a file (addition).',
    responses: {'204': {description: 'Deleted'}},
  })
  async deleteCheckpoint(
    @ROOT rootName: string | undefined,
    @FILE_PATH filePath: string,
    @param.query.string('id', {required: true}) id: string,
    @FILE_ROOT root: VolumeRoot,
  ): Promise<void> {
    await this.volumes.deleteCheckpoint(root, filePath, id);
  }

  @requireRootAccess('write', ROOT_IN_QUERY)
  @post('/volume/checkpoints/restore', {operationId: 'restoreCheckpoint', summary: 'Put a checkpoint back', description: 'Puts a checkpoint back; the content it replaces becomes a checkpoint (addition).',
    responses: {'200': jsonAnswer('The restored file', FILE_MODEL, FILE_EXAMPLE)},
  })
  async restore(
    @ROOT rootName: string | undefined,
    @FILE_PATH filePath: string,
    @param.query.string('id', {required: true}) id: string,
    @FILE_ROOT root: VolumeRoot,
  ): Promise<FileModel> {
    return this.volumes.restore(root, filePath, id);
  }

  @get('/volume/hardware', {operationId: 'listHardwareOptions', summary: 'List the hardware a template may name', ...jsonResponse('The hardware options a template may name (HARDWARE_FILE), with the sizes a server of each gets', {
      type: 'array',
      items: {
        title: 'HardwareOption',
        type: 'object',
        required: ['name'],
        properties: {
          name: {type: 'string', description: 'What a template\'s hardware names'},
          description: {type: 'string'},
          cpu: {type: 'number', minimum: 0, description: 'CPU cores, more than 0 (fractions allowed); absent: not limited'},
          memory: {type: 'integer', minimum: 1, description: 'Memory in bytes; absent: not limited'},
          gpu: {type: 'integer', minimum: 1, description: 'Whole GPUs; absent: none'},
        },
      },
    }, [{name: 'small', description: '1 CPU, 2 GB memory', cpu: 1, memory: 2147483648}, {name: 'gpu', description: '8 CPUs, 64 GB memory, 1 GPU', cpu: 8, memory: 68719476736, gpu: 1}])})
  hardwareOptions(): Promise<HardwareOption[]> {
    return this.hardware.options();
  }

  @get('/volume/applications', {operationId: 'listApplications', summary: 'List the applications a template may name', ...jsonResponse('The applications the hub offers (HUB_APPLICATIONS), as a template\'s applicationType names them', {type: 'array', items: {type: 'string'}}, ['JupyterLab', 'Notebook'])})
  applicationOptions(): string[] {
    return this.applications.names();
  }

  @get('/volume/lua', {operationId: 'listModulefileFunctions', summary: 'List the functions a modulefile may call', ...jsonResponse('The functions a modulefile may call (luaModuleFile[].id) and their arguments', {
      type: 'array',
      items: {
        title: 'ModulefileFunction',
        type: 'object',
        required: ['id', 'description', 'arguments', 'minArguments', 'maxArguments'],
        properties: {
          id: {type: 'string'},
          description: {type: 'string'},
          minArguments: {type: 'integer'},
          maxArguments: {type: 'integer', description: 'The last argument repeats up to this count'},
          arguments: {
            type: 'array',
            items: {
              type: 'object',
              properties: {
                name: {type: 'string'},
                description: {type: 'string'},
                pattern: {type: 'string'},
                singleLine: {type: 'boolean', description: 'The value may hold no line breaks or other control characters'},
              },
            },
          },
        },
      },
    }, LUA_FUNCTIONS.slice(0, 1))})
  lua(): readonly LuaFunction[] {
    return LUA_FUNCTIONS;
  }
}
