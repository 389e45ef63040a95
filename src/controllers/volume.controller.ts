import {authenticate} from '@loopback/authentication';
import {BindingScope, inject, injectable, service} from '@loopback/core';
import {get, HttpErrors, param, post, Request, requestBody, SchemaObject} from '@loopback/rest';
import {SecurityBindings} from '@loopback/security';
import {OIDC_BEARER_STRATEGY, OPENBIS_SESSION_STRATEGY} from '../keys';
import {HardwareService} from '../services/hardware.service';
import type {Caller} from '../services/identity.service';
import {UploadResult, UploadService} from '../services/upload.service';
import {Checkpoint, FILE_TYPES, FileModel, FileRequest, VolumeService} from '../services/volume.service';
import {LUA_FUNCTIONS, LuaFunction} from '../services/lua-modulefile.service';
import {jsonResponse} from './json-spec.helpers';

const FILE_MODEL: SchemaObject = {
  type: 'object',
  required: ['name', 'path', 'root', 'type', 'size', 'last_modified'],
  properties: {
    name: {type: 'string'},
    path: {type: 'string', description: 'Relative to the root'},
    root: {type: 'string', description: '`home` or a dataset id'},
    type: {type: 'string', enum: [...FILE_TYPES]},
    size: {type: 'integer'},
    last_modified: {type: 'string', format: 'date-time'},
    content: {type: 'string', nullable: true, description: 'Always null: the content is not echoed'},
    link: {type: 'string', nullable: true, description: 'Opens the file in the owner\'s server through the hub (home files)'},
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
    root: {type: 'string', description: '`home` (default) or the id of a dataset you may write'},
    content: {description: 'notebook: an nbformat 4 object or its JSON text; file: text (or base64 with format)'},
    format: {type: 'string', enum: ['text', 'base64']},
  },
};

/** The body of the ELN form: the notebook itself. */
const ELN_NOTEBOOK: SchemaObject = {
  title: 'ElnNotebook',
  type: 'object',
  required: ['cells', 'metadata', 'nbformat', 'nbformat_minor'],
  description: 'With ?token=&folder=&filename= (the openBIS ELN form), the body is the notebook',
};

const ROOT = param.query.string('root', {description: '`home` (default) or a dataset id'});

@injectable({scope: BindingScope.SINGLETON})
export class VolumeController {
  constructor(
    @service(HardwareService) private readonly hardware: HardwareService,
    @service(VolumeService) private readonly volumes: VolumeService,
  ) {}

  @authenticate(OPENBIS_SESSION_STRATEGY, OIDC_BEARER_STRATEGY)
  @post('/volume/file', {
    description:
      'Writes a notebook (validated as nbformat 4), a file or a folder into your home or a dataset you may write. ' +
      'An existing file is overwritten and its previous content kept as a checkpoint; writes are atomic. ' +
      'ELN form (seed 000): `?token=<openBIS session token>&folder=&filename=` with the notebook as the body writes into that user\'s home.',
    responses: {'200': {description: 'The file, with the link that opens it', content: {'application/json': {schema: FILE_MODEL}}}},
  })
  async writeFile(
    @inject(SecurityBindings.USER) caller: Caller,
    @requestBody({required: true, content: {'application/json': {schema: {anyOf: [FILE_REQUEST, ELN_NOTEBOOK]}}}})
    body: FileRequest | Record<string, unknown>,
    @param.query.string('token', {description: 'openBIS session token (ELN form)'}) token?: string,
    @param.query.string('folder', {description: 'Folder in the home (ELN form)'}) folder?: string,
    @param.query.string('filename', {description: 'Notebook file name (ELN form)'}) filename?: string,
  ): Promise<FileModel> {
    if (token !== undefined) return this.volumes.writeForEln(caller, body, folder, filename);
    if (!('type' in body)) {
      throw new HttpErrors.BadRequest('Give {type, name, path?, root?, content}, or use the ELN form with ?token=&filename=');
    }
    const request = body as FileRequest;
    return this.volumes.write(await this.volumes.root(caller, request.root, 'write'), request);
  }

  @post('/volume/upload', {
    description:
      'Uploads as the Jupyter dashboards server takes them: a multipart field `file` holding a notebook (.ipynb) or a bundle (.zip), ' +
      'unpacked into `path` within UPLOAD_MAX_BYTES, ZIP_MAX_ENTRIES and ZIP_MAX_BYTES, no entry leaving the root (addition).',
    responses: {
      '200': {
        description: 'What was written',
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['message', 'files'],
              properties: {message: {type: 'string'}, files: {type: 'array', items: {type: 'string'}}, link: {type: 'string', nullable: true}},
            },
          },
        },
      },
    },
  })
  async upload(
    @inject(SecurityBindings.USER) caller: Caller,
    @requestBody({
      required: true,
      content: {
        'multipart/form-data': {
          'x-parser': 'stream',
          schema: {type: 'object', properties: {file: {type: 'string', format: 'binary'}}},
        },
      },
    })
    request: Request,
    @ROOT root: string | undefined,
    @param.query.string('path', {description: 'Folder under the root'}) folder: string | undefined,
    @service(UploadService) uploads: UploadService,
  ): Promise<UploadResult> {
    return uploads.upload(await this.volumes.root(caller, root, 'write'), folder, request);
  }

  @get('/volume/files', {
    responses: {
      '200': {
        description: 'The folder\'s files and folders (hidden ones left out)',
        content: {'application/json': {schema: {type: 'array', items: FILE_MODEL}}},
      },
    },
  })
  async listFiles(
    @inject(SecurityBindings.USER) caller: Caller,
    @ROOT root?: string,
    @param.query.string('path', {description: 'Folder under the root'}) folder?: string,
    @param.query.string('email', {description: 'Another person\'s home (admins)'}) email?: string,
  ) {
    return this.volumes.list(await this.volumes.root(caller, root, 'read', email), folder);
  }

  @get('/volume/checkpoints', {
    description: 'Earlier versions kept of a file, newest first (addition).',
    responses: {
      '200': {
        description: 'Checkpoints',
        content: {
          'application/json': {
            schema: {type: 'array', items: {type: 'object', properties: {id: {type: 'string'}, size: {type: 'integer'}, last_modified: {type: 'string'}}}},
          },
        },
      },
    },
  })
  async checkpoints(@inject(SecurityBindings.USER) caller: Caller, @ROOT root: string | undefined, @param.query.string('path', {required: true}) filePath: string): Promise<Checkpoint[]> {
    return this.volumes.checkpoints(await this.volumes.root(caller, root, 'read'), filePath);
  }

  @post('/volume/checkpoints/restore', {
    description: 'Puts a checkpoint back; the content it replaces becomes a checkpoint (addition).',
    responses: {'200': {description: 'The restored file', content: {'application/json': {schema: FILE_MODEL}}}},
  })
  async restore(
    @inject(SecurityBindings.USER) caller: Caller,
    @ROOT root: string | undefined,
    @param.query.string('path', {required: true}) filePath: string,
    @param.query.string('id', {required: true}) id: string,
  ): Promise<FileModel> {
    return this.volumes.restore(await this.volumes.root(caller, root, 'write'), filePath, id);
  }

  @get(
    '/volume/hardware',
    jsonResponse('The hardware options a template may name (HARDWARE_FILE)', {type: 'array', items: {type: 'string'}}),
  )
  hardwareOptions(): Promise<string[]> {
    return this.hardware.names();
  }

  @get(
    '/volume/lua',
    jsonResponse('The functions a modulefile may call (luaModuleFile[].id) and their arguments', {
      type: 'array',
      items: {
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
              properties: {name: {type: 'string'}, description: {type: 'string'}, pattern: {type: 'string'}},
            },
          },
        },
      },
    }),
  )
  lua(): readonly LuaFunction[] {
    return LUA_FUNCTIONS;
  }
}
