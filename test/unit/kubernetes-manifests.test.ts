import {expect} from '@loopback/testlab';
import Ajv from 'ajv';
import {ConfigMap} from 'kubernetes-models/v1/ConfigMap';
import {EnvVar} from 'kubernetes-models/v1/EnvVar';
import {PersistentVolumeClaim} from 'kubernetes-models/v1/PersistentVolumeClaim';
import {Secret} from 'kubernetes-models/v1/Secret';
import {Service} from 'kubernetes-models/v1/Service';
import {Deployment} from 'kubernetes-models/apps/v1/Deployment';
import {HorizontalPodAutoscaler} from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import {Ingress} from 'kubernetes-models/networking.k8s.io/v1/Ingress';
import {PodDisruptionBudget} from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import YAML from 'yaml';
import {documentedVariables, readRepoText, REPO_ROOT} from '../fixtures/repo-files';
import {loadConfig} from '../../src/config';

/**
 * The Kubernetes deployment (deploy/kubernetes): every manifest of the
 * kustomize base and overlays, built here the way kustomize builds the parts
 * they use, validated against the Kubernetes schemas (kubernetes-models) and
 * checked against each other, openapi.json, .env.example and the
 * zero-to-jupyterhub values. No cluster, kustomize or Helm runs here.
 */

type Json = Record<string, unknown>;
type K8sObject = Json & {apiVersion: string; kind: string; metadata: {name: string; namespace?: string; [k: string]: unknown}};

const K8S_DIR = 'deploy/kubernetes';
const OVERLAYS = ['development', 'production'];
const SECRET_TEMPLATE = `${K8S_DIR}/base/secret.example.yaml`;
const Z2JH_VALUES = `${K8S_DIR}/zero-to-jupyterhub/values.yaml`;

interface ModelClass {
  new (data: object): {validate(): void};
  prototype: {validate(): void};
}

const MODELS: Record<string, ModelClass> = {
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'v1/PersistentVolumeClaim': PersistentVolumeClaim,
  'apps/v1/Deployment': Deployment,
  'networking.k8s.io/v1/Ingress': Ingress,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
};

/**
 * The Kubernetes schemas allow unknown fields (the API server drops them),
 * so a misspelt `readinesProbe` would pass. The generated validators read
 * every property their schema knows, so each object is validated through a
 * proxy recording what was read: a property never read is unknown.
 */
function unknownFields(model: ModelClass, data: object): string[] {
  const visited: {path: string; value: Json; read: Set<string>}[] = [];
  const track = (value: unknown, at: string): unknown => {
    if (value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((item, i) => track(item, `${at}/${i}`));
    const read = new Set<string>();
    visited.push({path: at, value: value as Json, read});
    const copy = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, track(v, `${at}/${k}`)]));
    return new Proxy(copy, {
      get(target, property, receiver) {
        if (typeof property === 'string') read.add(property);
        return Reflect.get(target, property, receiver) as unknown;
      },
    });
  };
  model.prototype.validate.call(track(data, ''));
  const unknown = visited.flatMap(v => Object.keys(v.value).filter(k => !v.read.has(k)).map(k => `${v.path}/${k}`));
  // Only the outermost unknown field: what lies below it was never visited.
  return unknown.filter(p => !unknown.some(q => p !== q && p.startsWith(`${q}/`)));
}

function validateObject(object: K8sObject, where: string): void {
  const model = MODELS[`${object.apiVersion}/${object.kind}`];
  if (!model) throw new Error(`${where}: no schema for ${object.apiVersion} ${object.kind}`);
  try {
    new model(object).validate();
  } catch (err) {
    throw new Error(`${where}: ${object.kind} ${object.metadata?.name} breaks the Kubernetes schema: ${(err as Error).message}`);
  }
  const unknown = unknownFields(model, object);
  if (unknown.length) throw new Error(`${where}: ${object.kind} ${object.metadata.name} has unknown fields ${unknown.join(', ')}`);
}

function readYamlDocuments(relative: string): K8sObject[] {
  return YAML.parseAllDocuments(readRepoText(relative)).map(doc => {
    if (doc.errors.length) throw new Error(`${relative}: ${doc.errors.map(e => e.message).join('; ')}`);
    return doc.toJS() as K8sObject;
  });
}

/**
 * A strategic merge patch of the shapes used here: maps merge, lists of
 * named items (containers, env, volumes) merge by name, other lists are
 * replaced, null removes.
 */
function strategicMerge(target: unknown, patch: unknown): unknown {
  if (Array.isArray(patch)) {
    const named = (list: unknown[]) => list.every(i => i !== null && typeof i === 'object' && typeof (i as Json).name === 'string');
    if (!Array.isArray(target) || !named(patch) || !named(target)) return structuredClone(patch);
    const merged = [...(target as Json[])];
    for (const item of patch as Json[]) {
      const i = merged.findIndex(m => m.name === item.name);
      if (i < 0) merged.push(structuredClone(item));
      else merged[i] = strategicMerge(merged[i], item) as Json;
    }
    return merged;
  }
  if (patch === null || typeof patch !== 'object') return patch;
  const result: Json = target !== null && typeof target === 'object' && !Array.isArray(target) ? {...(target as Json)} : {};
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete result[key];
    else result[key] = strategicMerge(result[key], value);
  }
  return result;
}

interface Kustomization {
  apiVersion: string;
  kind: string;
  resources?: string[];
  namespace?: string;
  images?: {name: string; newName?: string; newTag?: string}[];
  patches?: {path: string}[];
}

const KUSTOMIZATION_KEYS = ['apiVersion', 'kind', 'resources', 'namespace', 'images', 'patches'];

/** Builds a kustomization as `kustomize build` would for the fields used. */
function kustomizeBuild(relativeDir: string): K8sObject[] {
  const file = `${relativeDir}/kustomization.yaml`;
  const k = YAML.parse(readRepoText(file)) as Kustomization;
  expect(k).to.containDeep({apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization'});
  const unsupported = Object.keys(k).filter(key => !KUSTOMIZATION_KEYS.includes(key));
  expect(unsupported).to.eql([], `${file} uses fields this test does not build: ${unsupported.join(', ')}`);

  const objects: K8sObject[] = [];
  for (const resource of k.resources ?? []) {
    const relative = path.posix.normalize(`${relativeDir}/${resource}`);
    const absolute = path.join(REPO_ROOT, relative);
    if (!fs.existsSync(absolute)) throw new Error(`${file} lists ${resource}, which does not exist`);
    objects.push(...(fs.statSync(absolute).isDirectory() ? kustomizeBuild(relative) : readYamlDocuments(relative)));
  }
  for (const {path: patchPath, ...rest} of k.patches ?? []) {
    expect(rest).to.eql({}, `${file}: only file patches are built here`);
    for (const patch of readYamlDocuments(`${relativeDir}/${patchPath}`)) {
      const i = objects.findIndex(
        o => o.apiVersion === patch.apiVersion && o.kind === patch.kind && o.metadata.name === patch.metadata.name,
      );
      if (i < 0) throw new Error(`${file}: patch ${patchPath} matches no ${patch.kind} ${patch.metadata.name}`);
      objects[i] = strategicMerge(objects[i], patch) as K8sObject;
    }
  }
  for (const image of k.images ?? []) {
    let used = false;
    for (const container of objects.filter(o => o.kind === 'Deployment').flatMap(o => podSpec(o).containers)) {
      const [name, tag] = splitImage(container.image);
      if (name !== image.name) continue;
      used = true;
      container.image = `${image.newName ?? name}:${image.newTag ?? tag}`;
    }
    expect(used).to.equal(true, `${file}: image ${image.name} is used by no container`);
  }
  if (k.namespace) for (const o of objects) o.metadata = {...o.metadata, namespace: k.namespace};
  return objects;
}

function splitImage(image: string): [string, string] {
  const at = image.lastIndexOf(':');
  return at > image.lastIndexOf('/') ? [image.slice(0, at), image.slice(at + 1)] : [image, 'latest'];
}

interface Container {
  name: string;
  image: string;
  ports?: {name?: string; containerPort: number}[];
  envFrom?: {configMapRef?: {name: string}; secretRef?: {name: string}}[];
  env?: unknown[];
  startupProbe?: Probe;
  livenessProbe?: Probe;
  readinessProbe?: Probe;
  lifecycle?: {preStop?: {exec?: {command: string[]}}};
  securityContext?: Json;
  volumeMounts?: {name: string; mountPath: string}[];
}
interface Probe {
  httpGet?: {path: string; port: string | number};
}
interface PodSpec {
  containers: Container[];
  volumes?: {name: string; persistentVolumeClaim?: {claimName: string}; emptyDir?: object}[];
  securityContext?: Json;
  terminationGracePeriodSeconds?: number;
}

function podSpec(deployment: K8sObject): PodSpec {
  return (deployment.spec as {template: {spec: PodSpec}}).template.spec;
}

function only(objects: K8sObject[], kind: string): K8sObject {
  const found = objects.filter(o => o.kind === kind);
  expect(found).to.have.length(1, `expected one ${kind}`);
  return found[0];
}

function configData(objects: K8sObject[]): Record<string, string> {
  return (only(objects, 'ConfigMap').data ?? {}) as Record<string, string>;
}

function matches(selector: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.keys(selector).length > 0 && Object.entries(selector).every(([k, v]) => labels[k] === v);
}

function secretTemplate(): K8sObject & {stringData: Record<string, string>} {
  const docs = readYamlDocuments(SECRET_TEMPLATE);
  expect(docs).to.have.length(1);
  return docs[0] as K8sObject & {stringData: Record<string, string>};
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const builds: Record<string, K8sObject[]> = {};

  before(() => {
    for (const overlay of OVERLAYS) builds[overlay] = kustomizeBuild(`${K8S_DIR}/overlays/${overlay}`);
  });

  it('the base and each overlay build, and every object validates against the Kubernetes schemas without unknown fields', () => {
    const base = kustomizeBuild(`${K8S_DIR}/base`);
    expect(base.map(o => o.kind).sort()).to.eql([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Service',
    ]);
    for (const o of base) validateObject(o, 'base');
    for (const overlay of OVERLAYS) {
      for (const o of builds[overlay]) validateObject(o, overlay);
      expect(builds[overlay].map(o => o.kind).sort()).to.eql(base.map(o => o.kind).sort());
    }
    validateObject(secretTemplate(), SECRET_TEMPLATE);
  });

  it('the schema check refuses a wrong type and a misspelt field', () => {
    const deployment = structuredClone(only(builds.production, 'Deployment'));
    const container = podSpec(deployment).containers[0] as unknown as Json;
    container.readinesProbe = container.readinessProbe;
    expect(() => validateObject(deployment, 'test')).to.throw(/unknown fields .*containers\/0\/readinesProbe$/);
    delete container.readinesProbe;
    (container.ports as Json[])[0].containerPort = '3000';
    expect(() => validateObject(deployment, 'test')).to.throw(/must be integer/);
  });

  for (const overlay of OVERLAYS) {
    describe(`overlay ${overlay}`, () => {
      let objects: K8sObject[];
      let deployment: K8sObject;
      let pod: PodSpec;
      let api: Container;
      before(() => {
        objects = builds[overlay];
        deployment = only(objects, 'Deployment');
        pod = podSpec(deployment);
        expect(pod.containers).to.have.length(1);
        api = pod.containers[0];
      });

      it('selectors of the Deployment, Service and PodDisruptionBudget match the pod labels, and the autoscaler targets the Deployment', () => {
        const spec = deployment.spec as {selector: {matchLabels: Record<string, string>}; template: {metadata: {labels: Record<string, string>}}; replicas?: number};
        const labels = spec.template.metadata.labels;
        expect(matches(spec.selector.matchLabels, labels)).to.be.true();
        const service = only(objects, 'Service').spec as {selector: Record<string, string>};
        expect(matches(service.selector, labels)).to.be.true();
        const pdb = only(objects, 'PodDisruptionBudget').spec as {selector: {matchLabels: Record<string, string>}};
        expect(matches(pdb.selector.matchLabels, labels)).to.be.true();
        const hpa = only(objects, 'HorizontalPodAutoscaler').spec as {scaleTargetRef: Json; minReplicas: number; maxReplicas: number};
        expect(hpa.scaleTargetRef).to.eql({apiVersion: 'apps/v1', kind: 'Deployment', name: deployment.metadata.name});
        // The autoscaler owns the count; a replicas field would reset it at every apply.
        expect(spec.replicas).to.be.undefined();
        // zero-to-jupyterhub's NetworkPolicy lets only labelled pods reach the hub's API.
        expect(labels['hub.jupyter.org/network-access-hub']).to.equal('true');
      });

      it('the Ingress routes to the Service by a port it declares, which targets the API container port', () => {
        const service = only(objects, 'Service');
        const ports = (service.spec as {ports: {name: string; port: number; targetPort: string | number}[]}).ports;
        const ingress = only(objects, 'Ingress').spec as {rules: {http: {paths: {backend: {service: {name: string; port: {name?: string; number?: number}}}}[]}}[]};
        const backends = ingress.rules.flatMap(r => r.http.paths.map(p => p.backend.service));
        expect(backends).to.not.be.empty();
        for (const backend of backends) {
          expect(backend.name).to.equal(service.metadata.name);
          expect(ports.some(p => p.name === backend.port.name || p.port === backend.port.number)).to.be.true();
        }
        for (const port of ports) {
          expect(api.ports!.some(p => p.name === port.targetPort || p.containerPort === port.targetPort)).to.be.true();
        }
        // PORT's default, which the image keeps.
        expect(api.ports!.map(p => p.containerPort)).to.eql([3000]);
      });

      it('the probes use /health/live and /health/ready, both GET routes of openapi.json, on the API port', () => {
        expect(api.livenessProbe?.httpGet?.path).to.equal('/health/live');
        expect(api.startupProbe?.httpGet?.path).to.equal('/health/live');
        expect(api.readinessProbe?.httpGet?.path).to.equal('/health/ready');
        const spec = JSON.parse(readRepoText('openapi.json')) as {paths: Record<string, Record<string, {security?: unknown[]}>>};
        for (const probe of [api.livenessProbe, api.readinessProbe, api.startupProbe]) {
          const operation = spec.paths[probe!.httpGet!.path]?.get;
          expect(operation).to.not.be.undefined();
          // Kubelet sends no token: the route must not require one.
          expect(operation!.security).to.eql([]);
          expect(api.ports!.some(p => p.name === probe!.httpGet!.port || p.containerPort === probe!.httpGet!.port)).to.be.true();
        }
      });

      it('settings come from the ConfigMap and the Secret, each key a documented setting, and every referenced object exists', () => {
        const configMap = only(objects, 'ConfigMap');
        const refs = api.envFrom ?? [];
        expect(refs.map(r => r.configMapRef?.name).filter(Boolean)).to.eql([configMap.metadata.name]);
        expect(refs.map(r => r.secretRef?.name).filter(Boolean)).to.eql([secretTemplate().metadata.name]);
        expect(api.env ?? []).to.be.empty();

        const documented = documentedVariables();
        const configKeys = Object.keys(configData(objects));
        const secretKeys = Object.keys(secretTemplate().stringData);
        const undocumented = [...configKeys, ...secretKeys].filter(k => !documented.includes(k));
        expect(undocumented).to.eql([], `not settings of .env.example: ${undocumented.join(', ')}`);
        expect(configKeys.filter(k => secretKeys.includes(k))).to.eql([]);

        const claims = objects.filter(o => o.kind === 'PersistentVolumeClaim').map(o => o.metadata.name);
        const volumes = pod.volumes ?? [];
        for (const volume of volumes.filter(v => v.persistentVolumeClaim)) expect(claims).to.containEql(volume.persistentVolumeClaim!.claimName);
        for (const mount of api.volumeMounts ?? []) expect(volumes.map(v => v.name)).to.containEql(mount.name);
      });

      it('its ConfigMap, with the Secret filled in (a Vault token, no AppRole beside it), is a configuration the API starts with', () => {
        const filled: Record<string, string> = {
          MONGO_URL: 'mongodb://mongodb:27017/notebooks',
          AUTH_STATE_SECRET: 'state-secret-of-the-test-0123456789abcdef',
        };
        for (const key of Object.keys(secretTemplate().stringData)) {
          if (!(key in filled) && key !== 'VAULT_ROLE_ID' && key !== 'VAULT_SECRET_ID') filled[key] = `${key.toLowerCase()}-${'0123456789abcdef'.repeat(2)}`;
        }
        const data = configData(objects);
        const config = loadConfig({...data, ...filled});
        expect(config.production).to.equal(data.NODE_ENV === 'production');
        expect(config.mongoUrl).to.equal(filled.MONGO_URL);
      });

      it('every folder the API writes is a volume, so the root filesystem can stay read-only', () => {
        const data = configData(objects);
        const mounted = (api.volumeMounts ?? []).map(m => m.mountPath);
        for (const setting of ['DATA_DIR', 'HOMES_ROOT', 'DATASETS_ROOT', 'MODULES_ROOT']) {
          expect(data[setting]).to.match(/^\//, `${setting} must be an absolute path`);
          expect(mounted).to.containEql(data[setting]);
        }
        expect(mounted).to.containEql('/tmp');
        // The homes, datasets and modules are shared with the hub's user pods.
        const claimOf = (mountPath: string) =>
          pod.volumes!.find(v => v.name === api.volumeMounts!.find(m => m.mountPath === mountPath)!.name)!.persistentVolumeClaim?.claimName;
        expect(['HOMES_ROOT', 'DATASETS_ROOT', 'MODULES_ROOT'].map(s => claimOf(data[s]))).to.eql([
          'notebooks-hub-homes',
          'notebooks-hub-datasets',
          'notebooks-hub-modules',
        ]);
        const pvcs = objects.filter(o => o.kind === 'PersistentVolumeClaim');
        for (const pvc of pvcs) expect((pvc.spec as {accessModes: string[]}).accessModes).to.eql(['ReadWriteMany']);

        expect(pod.securityContext).to.containDeep({runAsNonRoot: true});
        expect(api.securityContext).to.containDeep({readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: {drop: ['ALL']}});
      });

      it('the pod leaves the endpoints before SIGTERM and gets longer than SHUTDOWN_GRACE_SECONDS to drain', () => {
        const command = api.lifecycle?.preStop?.exec?.command ?? [];
        expect(command[0]).to.equal('sleep');
        const preStop = Number(command[1]);
        expect(preStop).to.be.above(0);
        const grace = Number(configData(objects).SHUTDOWN_GRACE_SECONDS ?? 30);
        expect(Number.isInteger(grace)).to.be.true();
        // Kubelet counts the preStop hook inside terminationGracePeriodSeconds.
        expect(pod.terminationGracePeriodSeconds).to.be.above(preStop + grace);
      });
    });
  }

  it('development runs one replica; production runs at least two, in production mode, behind TLS on the PUBLIC_URL host', () => {
    const devHpa = only(builds.development, 'HorizontalPodAutoscaler').spec as {minReplicas: number; maxReplicas: number};
    expect(devHpa).to.containDeep({minReplicas: 1, maxReplicas: 1});

    const prod = builds.production;
    const hpa = only(prod, 'HorizontalPodAutoscaler').spec as {minReplicas: number; maxReplicas: number};
    expect(hpa.minReplicas).to.be.aboveOrEqual(2);
    expect(hpa.maxReplicas).to.be.aboveOrEqual(hpa.minReplicas);
    const data = configData(prod);
    expect(data.NODE_ENV).to.equal('production');
    // Several replicas: sign-in state from the Secret, secret values in Vault.
    expect(data.VAULT_ADDR).to.match(/^https:\/\//);
    expect(secretTemplate().stringData).to.have.properties(['MONGO_URL', 'AUTH_STATE_SECRET']);
    const publicUrl = new URL(data.PUBLIC_URL);
    expect(publicUrl.protocol).to.equal('https:');
    const ingress = only(prod, 'Ingress').spec as {tls?: {hosts: string[]; secretName: string}[]; rules: {host: string}[]};
    expect(ingress.rules.map(r => r.host)).to.eql([publicUrl.hostname]);
    const tlsHosts = (ingress.tls ?? []).flatMap(t => t.hosts);
    expect(tlsHosts).to.containEql(publicUrl.hostname);
    for (const o of prod) expect(o.metadata.namespace).to.equal('notebooks-hub');
  });

  it('the Secret is a template of placeholders, kept out of every kustomization', () => {
    const secret = secretTemplate();
    expect(secret.stringData).to.have.properties(['MONGO_URL', 'AUTH_STATE_SECRET', 'HUB_API_TOKEN', 'SPAWNER_TOKEN', 'VAULT_TOKEN', 'METRICS_TOKEN']);
    for (const [key, value] of Object.entries(secret.stringData)) expect(value).to.equal('REPLACE-ME', `${key} must be a placeholder`);
    for (const overlay of OVERLAYS) expect(builds[overlay].some(o => o.kind === 'Secret')).to.be.false();
  });

  describe('zero-to-jupyterhub values', () => {
    interface Values {
      hub: {
        image: {name: string; tag: string};
        services: Record<string, Json>;
        loadRoles: Record<string, {scopes: string[]; services: string[]}>;
        extraEnv: Record<string, string | Json>;
        extraFiles: Record<string, {mountPath: string; stringData?: string}>;
        extraConfig: Record<string, string>;
        config: {JupyterHub: Json};
      };
      singleuser: {uid: number; fsGid: number; storage: {type: string; static: {pvcName: string; subPath: string}}};
    }
    let values: Values;
    let env: Record<string, Json>;
    before(() => {
      values = YAML.parse(readRepoText(Z2JH_VALUES)) as Values;
      // The chart's map notation of EnvVars: the key is the name unless one is given.
      env = Object.fromEntries(
        Object.entries(values.hub.extraEnv).map(([key, v]) => [key, typeof v === 'string' ? {name: key, value: v} : {name: key, ...v}]),
      );
    });

    /**
     * The keys these values rely on, as the chart's values.schema.yaml of
     * zero-to-jupyterhub 4.3.x declares them (written here, not copied;
     * additionalProperties false where the chart says so, so a misplaced key
     * fails as it would at `helm install`).
     */
    const Z2JH_SCHEMA = {
      type: 'object',
      additionalProperties: false,
      properties: {
        hub: {
          type: 'object',
          additionalProperties: false,
          properties: {
            image: {type: 'object', additionalProperties: false, properties: {name: {type: 'string'}, tag: {type: 'string'}}},
            allowNamedServers: {type: 'boolean'},
            namedServerLimitPerUser: {type: ['integer', 'null']},
            redirectToServer: {type: ['boolean', 'null']},
            config: {type: 'object'},
            services: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                properties: {name: {type: 'string'}, admin: {type: 'boolean'}, url: {type: 'string'}, apiToken: {type: ['string', 'null']}},
              },
            },
            loadRoles: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                required: ['scopes'],
                properties: {
                  description: {type: 'string'},
                  scopes: {type: 'array', items: {type: 'string'}},
                  services: {type: 'array', items: {type: 'string'}},
                  users: {type: 'array', items: {type: 'string'}},
                  groups: {type: 'array', items: {type: 'string'}},
                },
              },
            },
            extraEnv: {type: ['object', 'array']},
            extraFiles: {
              type: 'object',
              additionalProperties: {
                type: 'object',
                additionalProperties: false,
                required: ['mountPath'],
                oneOf: [{required: ['data']}, {required: ['stringData']}, {required: ['binaryData']}],
                properties: {
                  mountPath: {type: 'string'},
                  data: {type: 'object'},
                  stringData: {type: 'string'},
                  binaryData: {type: 'string'},
                  mode: {type: 'number'},
                },
              },
            },
            extraConfig: {type: 'object', additionalProperties: {type: 'string'}},
          },
        },
        singleuser: {
          type: 'object',
          additionalProperties: false,
          properties: {
            uid: {type: ['integer', 'null'], minimum: 0},
            fsGid: {type: ['integer', 'null'], minimum: 0},
            image: {type: 'object', additionalProperties: false, properties: {name: {type: 'string'}, tag: {type: 'string'}}},
            storage: {
              type: 'object',
              additionalProperties: false,
              required: ['type', 'homeMountPath'],
              properties: {
                type: {enum: ['dynamic', 'static', 'none']},
                homeMountPath: {type: 'string'},
                static: {
                  type: 'object',
                  additionalProperties: false,
                  properties: {pvcName: {type: ['string', 'null']}, subPath: {type: ['string', 'null']}},
                },
              },
            },
          },
        },
        ingress: {
          type: 'object',
          additionalProperties: false,
          properties: {
            enabled: {type: 'boolean'},
            hosts: {type: 'array', items: {type: 'string'}},
            tls: {type: 'array', items: {type: 'object', properties: {hosts: {type: 'array'}, secretName: {type: 'string'}}}},
          },
        },
        proxy: {
          type: 'object',
          additionalProperties: false,
          properties: {
            service: {type: 'object', additionalProperties: false, properties: {type: {enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']}}},
          },
        },
      },
    };

    it('uses only the chart keys it relies on, in their documented shapes, and its environment entries are Kubernetes EnvVars', () => {
      const validate = new Ajv({allErrors: true, allowUnionTypes: true}).compile(Z2JH_SCHEMA);
      expect(validate(values)).to.equal(true, JSON.stringify(validate.errors, null, 1));
      for (const entry of Object.values(env)) {
        const problems = unknownFields(EnvVar as unknown as ModelClass, entry);
        new EnvVar(entry as {name: string}).validate();
        expect(problems).to.eql([]);
      }
    });

    it('registers the API as a hub service with the scopes deploy/jupyterhub/jupyterhub_config.py gives it, its token from the API Secret', () => {
      expect(Object.keys(values.hub.services)).to.eql(['notebooks-hub-api']);
      // No token in the values: the hub reads the API's own from its Secret.
      expect(values.hub.services['notebooks-hub-api']).to.not.have.properties(['apiToken', 'api_token']);
      const hubConfig = readRepoText('deploy/jupyterhub/jupyterhub_config.py');
      const scopes = [...(/^scopes = \[([^\]]*)\]/m.exec(hubConfig)?.[1] ?? '').matchAll(/"([^"]+)"/g)].map(m => m[1]);
      expect(scopes).to.not.be.empty();
      const role = values.hub.loadRoles['notebooks-hub-api'];
      expect(role.services).to.eql(['notebooks-hub-api']);
      expect([...role.scopes].sort()).to.eql([...scopes].sort());

      const secret = secretTemplate();
      const fromSecret = (name: string) => (env[name].valueFrom as {secretKeyRef: {name: string; key: string}}).secretKeyRef;
      expect(fromSecret('NOTEBOOKS_HUB_API_SERVICE_TOKEN')).to.eql({name: secret.metadata.name, key: 'HUB_API_TOKEN'});
      expect(fromSecret('NOTEBOOKS_HUB_SPAWNER_TOKEN')).to.eql({name: secret.metadata.name, key: 'SPAWNER_TOKEN'});
      const config = Object.values(values.hub.extraConfig).join('\n');
      expect(config).to.match(/service\["api_token"\] = os\.environ\["NOTEBOOKS_HUB_API_SERVICE_TOKEN"\]/);
      expect(config).to.match(/c\.KubeSpawner\.modify_pod_hook = make_modify_pod_hook\(KubeSettings\.from_env\(\)\)/);
      expect(values.hub.config.JupyterHub.authenticator_class).to.equal('generic-oauth');

      // The API reaches the chart's `hub` Service, and the hub reaches the API's.
      const apiConfig = configData(builds.production);
      expect(new URL(apiConfig.HUB_API_URL).host).to.equal('hub:8081');
      const service = only(builds.production, 'Service');
      expect(new URL(env.NOTEBOOKS_HUB_API_URL.value as string).hostname).to.equal(service.metadata.name);
    });

    it('mounts the shared volumes of the base where the API writes them, with the API hardware options and their sizes', () => {
      const claims = kustomizeBuild(`${K8S_DIR}/base`)
        .filter(o => o.kind === 'PersistentVolumeClaim')
        .map(o => o.metadata.name);
      const storage = values.singleuser.storage;
      expect(storage.type).to.equal('static');
      expect(claims).to.containEql(storage.static.pvcName);
      // The API's homes are {HOMES_ROOT}/{hub user name}, unescaped.
      expect(storage.static.subPath).to.equal('{unescaped_username}');
      expect(claims).to.containEql(env.NOTEBOOKS_HUB_DATASETS_CLAIM.value);
      expect(claims).to.containEql(env.NOTEBOOKS_HUB_MODULES_CLAIM.value);
      const apiConfig = configData(builds.production);
      // Modulefiles written by the API name MODULES_ROOT paths.
      expect(env.MODULES_ROOT.value).to.equal(apiConfig.MODULES_ROOT);
      expect(env.DATASETS_ROOT.value).to.equal(apiConfig.DATASETS_ROOT);
      // The API runs as the users' uid so that homes stay theirs.
      const apiPod = podSpec(only(builds.production, 'Deployment'));
      expect(apiPod.securityContext).to.containDeep({runAsUser: values.singleuser.uid, fsGroup: values.singleuser.fsGid});
      // Hardware limits come in each launch plan from the API: the hub reads no hardware file.
      expect(env.HARDWARE_FILE).to.be.undefined();
    });

    it('the API offers the applications the hub has images for, so templates it takes can start', () => {
      const images = Object.keys(JSON.parse(env.NOTEBOOKS_HUB_IMAGES.value as string) as Record<string, string>);
      const offered = configData(builds.production).HUB_APPLICATIONS.split(',').map(name => name.trim());
      expect(offered.map(name => name.toLowerCase()).sort()).to.eql(images.map(name => name.toLowerCase()).sort());
    });

    it('the hub image is built on the k8s-hub image of the chart version the install command names', () => {
      const chartVersion = /helm upgrade --install .* --version (\S+)/.exec(readRepoText(Z2JH_VALUES))?.[1];
      expect(chartVersion).to.match(/^4\.\d+\.\d+$/);
      const from = /^FROM (\S+)/m.exec(readRepoText(`${K8S_DIR}/zero-to-jupyterhub/hub.Dockerfile`))?.[1];
      expect(from).to.equal(`quay.io/jupyterhub/k8s-hub:${chartVersion}`);
      expect(values.hub.image.tag).to.equal(chartVersion);
    });
  });

  it('the Docker image runs a Node.js major that package.json engines accepts, and engines accept what the dependencies declare', () => {
    const pkg = JSON.parse(readRepoText('package.json')) as {engines: {node: string}};
    const range = pkg.engines.node;
    const froms = [...readRepoText('Dockerfile').matchAll(/^FROM node:(\d+)(?:\.(\d+))?(?:\.(\d+))?-\S+/gm)];
    expect(froms.length).to.equal(readRepoText('Dockerfile').match(/^FROM /gm)!.length);
    for (const [, major, minor, patch] of froms) {
      // A floating tag (node:22) is the newest release of that line.
      const version = patch !== undefined ? `${major}.${minor}.${patch}` : `${major}.${minor ?? 999}.999`;
      expect(semver.satisfies(version, range)).to.equal(true, `node:${major} does not satisfy engines ${range}`);
    }
    const lock = JSON.parse(readRepoText('package-lock.json')) as {packages: Record<string, {dev?: boolean; engines?: {node?: string}}>};
    expect(lock.packages[''].engines?.node).to.equal(range);
    const declared = Object.entries(lock.packages).filter(([name, p]) => name && !p.dev && p.engines?.node);
    expect(declared).to.not.be.empty();
    const refused = declared.filter(([, p]) => !semver.subset(range, p.engines!.node!, {includePrerelease: false}));
    expect(refused.map(([name, p]) => `${name} ${p.engines!.node}`)).to.eql([]);
  });

  it('the image starts the API with the options of npm start, and those options are ones its Node.js major takes', () => {
    const pkg = JSON.parse(readRepoText('package.json')) as {scripts: {start: string}};
    const dockerfile = readRepoText('Dockerfile');
    const cmd = JSON.parse(/^CMD (\[.*\])$/m.exec(dockerfile)![1]) as string[];
    expect(cmd.join(' ')).to.equal(pkg.scripts.start);
    const runtimeMajor = Number([...dockerfile.matchAll(/^FROM node:(\d+)/gm)].at(-1)![1]);
    // Context frames for AsyncLocalStorage are a flag on Node 22 and 23, the default (and no flag) from 24.
    if (cmd.includes('--experimental-async-context-frame')) expect([22, 23]).to.containEql(runtimeMajor);
  });

  it('the local stack starts the API with the options of npm start', () => {
    const pkg = JSON.parse(readRepoText('package.json')) as {scripts: {start: string}};
    const started = /^\s*(node [^>]*?)\s*>>/m.exec(readRepoText('scripts/local-stack.sh'))?.[1];
    expect(started).to.equal(pkg.scripts.start);
  });
});
