import {expect} from '@loopback/testlab';
import Ajv from 'ajv';
import {spawnSync} from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import semver from 'semver';
import YAML from 'yaml';
import {documentedVariables, readRepoText, REPO_ROOT} from '../fixtures/repo-files';
import {loadConfig} from '../../src/config';

/**
 * The Kubernetes deployment (deploy/kubernetes): the base and overlays built
 * by kustomize itself, every object validated by kubeconform against the
 * strict Kubernetes JSON schemas (unknown fields refused) of the oldest and
 * newest Kubernetes minors scripts/ensure-kube-tools.sh prepared, then
 * checked against each other, openapi.json, .env.example and the
 * zero-to-jupyterhub values: what neither tool can know. kustomize,
 * kubeconform and the schemas are installed by scripts/ensure-kube-tools.sh
 * (npm test runs it); both tools run here with every HTTP proxy pointing at a
 * closed port, so nothing is downloaded. No cluster or Helm runs here.
 */

type Json = Record<string, unknown>;
type K8sObject = Json & {apiVersion: string; kind: string; metadata: {name: string; namespace?: string; [k: string]: unknown}};

const K8S_DIR = 'deploy/kubernetes';
const OVERLAYS = ['development', 'production'];
const SECRET_TEMPLATE = `${K8S_DIR}/base/secret.example.yaml`;
const Z2JH_VALUES = `${K8S_DIR}/zero-to-jupyterhub/values.yaml`;
const TOOLS = path.join(REPO_ROOT, '.cache/go/bin');
const SCHEMAS = path.join(REPO_ROOT, '.cache/kube-schemas');
/** Any download would go through a proxy that is not there, and fail. */
const OFFLINE = {...process.env, HTTP_PROXY: 'http://127.0.0.1:9', HTTPS_PROXY: 'http://127.0.0.1:9', NO_PROXY: ''};

function run(tool: string, args: string[], input?: string): {status: number | null; stdout: string; stderr: string} {
  const binary = path.join(TOOLS, tool);
  if (!fs.existsSync(binary)) throw new Error(`${binary} is missing: run bash scripts/ensure-kube-tools.sh (npm test does)`);
  const result = spawnSync(binary, args, {input, encoding: 'utf8', env: OFFLINE});
  if (result.error) throw result.error;
  return result;
}

function parseDocuments(text: string, where: string): K8sObject[] {
  return YAML.parseAllDocuments(text)
    .map(doc => {
      if (doc.errors.length) throw new Error(`${where}: ${doc.errors.map(e => e.message).join('; ')}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** `kustomize build` of a folder of deploy/kubernetes. */
function kustomizeBuild(relativeDir: string): {text: string; objects: K8sObject[]} {
  const result = run('kustomize', ['build', path.join(REPO_ROOT, relativeDir)]);
  if (result.status !== 0) throw new Error(`kustomize build ${relativeDir} failed: ${result.stderr}`);
  return {text: result.stdout, objects: parseDocuments(result.stdout, relativeDir)};
}

/** The Kubernetes versions scripts/ensure-kube-tools.sh wrote schemas for. */
function kubernetesVersions(): string[] {
  const file = path.join(SCHEMAS, 'versions');
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: run bash scripts/ensure-kube-tools.sh (npm test does)`);
  return fs.readFileSync(file, 'utf8').split('\n').filter(Boolean);
}

interface KubeconformReport {
  resources: {kind: string; name: string; status: string; msg: string}[];
  summary: {valid: number; invalid: number; errors: number; skipped: number};
}

/** kubeconform, strict (unknown fields and duplicate keys refused), on YAML documents. */
function kubeconform(yamlText: string, version: string): KubeconformReport {
  const args = ['-strict', '-summary', '-verbose', '-output', 'json', '-kubernetes-version', version, '-schema-location', SCHEMAS, '-'];
  const result = run('kubeconform', args, yamlText);
  if (!result.stdout.trim()) throw new Error(`kubeconform printed no report: ${result.stderr}`);
  const report = JSON.parse(result.stdout) as KubeconformReport;
  const failed = report.summary.invalid + report.summary.errors + report.summary.skipped > 0;
  expect(result.status).to.equal(failed ? 1 : 0, `kubeconform exit status: ${result.stderr}`);
  return report;
}

function expectValid(yamlText: string, count: number, where: string): void {
  for (const version of kubernetesVersions()) {
    const report = kubeconform(yamlText, version);
    const problems = report.resources.filter(r => r.status !== 'statusValid').map(r => `${r.kind} ${r.name}: ${r.msg}`);
    expect(problems).to.eql([], `${where} on Kubernetes ${version}`);
    expect(report.summary).to.eql({valid: count, invalid: 0, errors: 0, skipped: 0});
  }
}

function readYamlDocuments(relative: string): K8sObject[] {
  return parseDocuments(readRepoText(relative), relative);
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
  initContainers?: Container[];
  topologySpreadConstraints?: unknown[];
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

/** zero-to-jupyterhub's labels on the hub pod, its users' servers and its proxy (chart 4.x). */
const Z2JH_POD_LABELS = {
  hub: {app: 'jupyterhub', component: 'hub', release: 'hub'},
  server: {app: 'jupyterhub', component: 'singleuser-server', release: 'hub', 'hub.jupyter.org/network-access-hub': 'true'},
  proxy: {app: 'jupyterhub', component: 'proxy', release: 'hub'},
};

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: unknown[];
}
interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
  ipBlock?: unknown;
}
interface PolicyPort {
  port?: number | string;
  protocol?: string;
}
interface PolicyRule {
  from?: PolicyPeer[];
  to?: PolicyPeer[];
  ports?: PolicyPort[];
}
interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes: string[];
  ingress?: PolicyRule[];
  egress?: PolicyRule[];
}
/** A pod on the other side of a connection: its namespace, its labels, the port and protocol used. */
interface Connection {
  namespace: string;
  labels: Record<string, string>;
  port: number;
  protocol?: 'TCP' | 'UDP';
}

function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  if (selector.matchExpressions) throw new Error('matchExpressions are not evaluated here');
  return Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
}

/**
 * Whether a NetworkPolicy lets a connection through, as Kubernetes reads one:
 * a peer without namespaceSelector is in the policy's namespace, an empty
 * selector selects everything, named ports are the API container's (the only
 * pods the policy selects), a rule without ports allows every port.
 */
function allows(policy: K8sObject, direction: 'ingress' | 'egress', peer: Connection, namedPorts: Record<string, number>): boolean {
  const spec = policy.spec as NetworkPolicySpec;
  const namespace = policy.metadata.namespace ?? 'default';
  const namespaceLabels = {'kubernetes.io/metadata.name': peer.namespace};
  return (spec[direction] ?? []).some(rule => {
    const peers = (direction === 'ingress' ? rule.from : rule.to) ?? [];
    const peerOk =
      peers.length === 0 ||
      peers.some(
        p =>
          !p.ipBlock &&
          (p.namespaceSelector ? selects(p.namespaceSelector, namespaceLabels) : peer.namespace === namespace) &&
          selects(p.podSelector ?? {}, peer.labels),
      );
    const portOk =
      (rule.ports ?? []).length === 0 ||
      rule.ports!.some(
        p =>
          (p.protocol ?? 'TCP') === (peer.protocol ?? 'TCP') &&
          (p.port === undefined || (typeof p.port === 'string' ? namedPorts[p.port] : p.port) === peer.port),
      );
    return peerOk && portOk;
  });
}

function urlPort(url: string): number {
  const parsed = new URL(url);
  return Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80));
}

describe('Kubernetes manifests (deploy/kubernetes)', () => {
  const builds: Record<string, K8sObject[]> = {};
  const texts: Record<string, string> = {};

  before(() => {
    for (const [name, dir] of [['base', `${K8S_DIR}/base`], ...OVERLAYS.map(o => [o, `${K8S_DIR}/overlays/${o}`])]) {
      ({text: texts[name], objects: builds[name]} = kustomizeBuild(dir));
    }
  });

  it('kustomize builds the base and each overlay, and kubeconform finds every object valid against the strict schemas of each Kubernetes version', () => {
    const kinds = builds.base.map(o => o.kind).sort();
    expect(kinds).to.eql([
      'ConfigMap',
      'Deployment',
      'HorizontalPodAutoscaler',
      'Ingress',
      'NetworkPolicy',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'PersistentVolumeClaim',
      'PodDisruptionBudget',
      'Service',
    ]);
    expect(kubernetesVersions()).to.have.length(2);
    for (const name of ['base', ...OVERLAYS]) {
      expectValid(texts[name], builds[name].length, name);
      if (name !== 'base') expect(builds[name].map(o => o.kind).sort()).to.eql(kinds);
    }
    expectValid(readRepoText(SECRET_TEMPLATE), 1, SECRET_TEMPLATE);
  });

  it('kubeconform refuses a misspelt field, a wrong type and a kind it has no schema for', () => {
    const deployment = structuredClone(only(builds.production, 'Deployment'));
    const container = podSpec(deployment).containers[0] as unknown as Json;
    container.readinesProbe = container.readinessProbe;
    (container.ports as Json[])[0].containerPort = '3000';
    const [version] = kubernetesVersions();
    const report = kubeconform(YAML.stringify(deployment), version);
    expect(report.summary).to.containDeep({valid: 0, invalid: 1});
    expect(report.resources[0].msg).to.match(/additional properties 'readinesProbe' not allowed/);
    expect(report.resources[0].msg).to.match(/containerPort': got string, want integer/);
    const unknownKind = kubeconform(YAML.stringify({...deployment, kind: 'Deploymnet'}), version);
    expect(unknownKind.summary).to.containDeep({valid: 0, errors: 1});
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
        const spec = deployment.spec as {
          selector: {matchLabels: Record<string, string>};
          template: {metadata: {labels: Record<string, string>}};
          replicas?: number;
        };
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
        const ingress = only(objects, 'Ingress').spec as {
          rules: {http: {paths: {backend: {service: {name: string; port: {name?: string; number?: number}}}}[]}}[];
        };
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
        for (const volume of volumes.filter(v => v.persistentVolumeClaim))
          expect(claims).to.containEql(volume.persistentVolumeClaim!.claimName);
        for (const mount of api.volumeMounts ?? []) expect(volumes.map(v => v.name)).to.containEql(mount.name);
      });

      it('its ConfigMap, with the Secret filled in (a Vault token, no AppRole beside it), is a configuration the API starts with', () => {
        const filled: Record<string, string> = {
          MONGO_URL: 'mongodb://mongodb:27017/notebooks',
          AUTH_STATE_SECRET: 'state-secret-of-the-test-0123456789abcdef',
        };
        for (const key of Object.keys(secretTemplate().stringData)) {
          if (!(key in filled) && key !== 'VAULT_ROLE_ID' && key !== 'VAULT_SECRET_ID')
            filled[key] = `${key.toLowerCase()}-${'0123456789abcdef'.repeat(2)}`;
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
        expect(api.securityContext).to.containDeep({
          readOnlyRootFilesystem: true,
          allowPrivilegeEscalation: false,
          capabilities: {drop: ['ALL']},
        });
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

  it('the API replicas are spread over nodes, so that losing or draining one node leaves the API serving', () => {
    const deployment = only(builds.production, 'Deployment');
    const labels = (deployment.spec as {template: {metadata: {labels: Record<string, string>}}}).template.metadata.labels;
    const constraints = (podSpec(deployment).topologySpreadConstraints ?? []) as {
      topologyKey: string;
      maxSkew: number;
      whenUnsatisfiable: string;
      labelSelector: LabelSelector;
      matchLabelKeys?: string[];
    }[];
    const byNode = constraints.find(c => c.topologyKey === 'kubernetes.io/hostname');
    expect(byNode).to.containDeep({maxSkew: 1, whenUnsatisfiable: 'DoNotSchedule', matchLabelKeys: ['pod-template-hash']});
    // It counts exactly the API's pods: not the hub's, not users' servers.
    expect(selects(byNode!.labelSelector, labels)).to.be.true();
    for (const other of Object.values(Z2JH_POD_LABELS)) expect(selects(byNode!.labelSelector, other)).to.be.false();
    // Zones where the cluster has them, never blocking a start.
    expect(constraints.find(c => c.topologyKey === 'topology.kubernetes.io/zone')).to.containDeep({whenUnsatisfiable: 'ScheduleAnyway'});
    // Two replicas at least, one pod down at a time: on two nodes, one always serves.
    expect((only(builds.production, 'HorizontalPodAutoscaler').spec as {minReplicas: number}).minReplicas).to.be.aboveOrEqual(2);
    expect((only(builds.production, 'PodDisruptionBudget').spec as {maxUnavailable: number}).maxUnavailable).to.equal(1);
  });

  for (const overlay of OVERLAYS) {
    it(`${overlay}: the NetworkPolicy lets only the Ingress controller, the hub and Prometheus reach the API, and the API only its peers`, () => {
      const objects = builds[overlay];
      const policy = only(objects, 'NetworkPolicy');
      const spec = policy.spec as NetworkPolicySpec;
      const deployment = only(objects, 'Deployment');
      const apiLabels = (deployment.spec as {template: {metadata: {labels: Record<string, string>}}}).template.metadata.labels;
      const api = podSpec(deployment).containers[0];
      const namedPorts = Object.fromEntries((api.ports ?? []).filter(p => p.name).map(p => [p.name!, p.containerPort]));
      const apiPort = api.ports![0].containerPort;
      const namespace = policy.metadata.namespace!;
      expect(namespace).to.equal(deployment.metadata.namespace);

      // It selects the API's pods (and no pod of the hub), both directions closed by default.
      expect(selects(spec.podSelector, apiLabels)).to.be.true();
      for (const other of Object.values(Z2JH_POD_LABELS)) expect(selects(spec.podSelector, other)).to.be.false();
      expect([...spec.policyTypes].sort()).to.eql(['Egress', 'Ingress']);

      const ingressController = {
        namespace: 'ingress-nginx',
        labels: {'app.kubernetes.io/name': 'ingress-nginx', 'app.kubernetes.io/component': 'controller'},
      };
      const prometheus = {namespace: 'monitoring', labels: {'app.kubernetes.io/name': 'prometheus'}};
      const hub = {namespace, labels: Z2JH_POD_LABELS.hub};
      const inbound = (peer: {namespace: string; labels: Record<string, string>}, port = apiPort) =>
        allows(policy, 'ingress', {...peer, port}, namedPorts);
      expect([ingressController, hub, prometheus].map(peer => inbound(peer))).to.eql([true, true, true]);
      // Prometheus scrapes the port the pods announce.
      const scrapePort = Number(
        (deployment.spec as {template: {metadata: {annotations: Record<string, string>}}}).template.metadata.annotations[
          'prometheus.io/port'
        ],
      );
      expect(inbound(prometheus, scrapePort)).to.be.true();
      expect(inbound(ingressController, 9229)).to.be.false();
      expect(inbound({namespace, labels: Z2JH_POD_LABELS.server})).to.be.false(); // a person's server
      expect(inbound({namespace, labels: Z2JH_POD_LABELS.proxy})).to.be.false();
      expect(inbound({namespace: 'elsewhere', labels: Z2JH_POD_LABELS.hub})).to.be.false();
      expect(inbound({namespace: 'elsewhere', labels: ingressController.labels})).to.be.false();
      expect(inbound({namespace, labels: {'app.kubernetes.io/name': 'prometheus'}})).to.be.false();

      const outbound = (connection: Connection) => allows(policy, 'egress', connection, namedPorts);
      const data = configData(objects);
      const dns = {namespace: 'kube-system', labels: {'k8s-app': 'kube-dns'}};
      expect(outbound({...dns, port: 53, protocol: 'UDP'}) && outbound({...dns, port: 53, protocol: 'TCP'})).to.be.true();
      expect(outbound({...hub, port: urlPort(data.HUB_API_URL)})).to.be.true();
      expect(outbound({namespace: 'databases', labels: {'app.kubernetes.io/name': 'mongodb'}, port: 27017})).to.be.true();
      expect(outbound({namespace: 'vault', labels: {'app.kubernetes.io/name': 'vault'}, port: 8200})).to.be.true();
      if (data.VAULT_ADDR) expect(urlPort(data.VAULT_ADDR)).to.equal(8200);
      expect(outbound({namespace: 'keycloak', labels: {'app.kubernetes.io/name': 'keycloak'}, port: 8443})).to.be.true();
      // Not people's servers, not the proxy, not DNS on another port.
      expect(outbound({namespace, labels: Z2JH_POD_LABELS.server, port: 8888})).to.be.false();
      expect(outbound({namespace, labels: Z2JH_POD_LABELS.proxy, port: 8000})).to.be.false();
      expect(outbound({...dns, port: 80})).to.be.false();
      // Nothing beyond the peers: every rule names its peers and ports, no address range.
      for (const rule of [...(spec.ingress ?? []), ...(spec.egress ?? [])]) {
        const peers = rule.from ?? rule.to ?? [];
        expect(peers).to.not.be.empty();
        expect(rule.ports ?? []).to.not.be.empty();
        for (const peer of peers) expect(peer.ipBlock).to.be.undefined();
      }
    });
  }

  it('the Ingress names its class, the controller whose annotations it carries and whose pods the NetworkPolicy admits', () => {
    for (const overlay of OVERLAYS) {
      const ingress = only(builds[overlay], 'Ingress');
      expect((ingress.spec as {ingressClassName?: string}).ingressClassName).to.equal('nginx');
      const annotations = Object.keys((ingress.metadata.annotations ?? {}) as Record<string, string>);
      expect(annotations).to.not.be.empty();
      for (const key of annotations) expect(key.startsWith('nginx.ingress.kubernetes.io/')).to.be.true();
    }
  });

  it('production runs its image pinned by digest, the repository of the base; development keeps the base tag', () => {
    const baseImage = podSpec(only(builds.base, 'Deployment')).containers[0].image;
    const repository = baseImage.slice(0, baseImage.lastIndexOf(':'));
    const prod = podSpec(only(builds.production, 'Deployment'));
    const images = [...prod.containers, ...((prod.initContainers ?? []) as Container[])].map(c => c.image);
    expect(images).to.not.be.empty();
    for (const image of images) expect(image).to.match(new RegExp(`^${repository.replace(/[.]/g, '\\.')}@sha256:[0-9a-f]{64}$`));
    expect(podSpec(only(builds.development, 'Deployment')).containers[0].image).to.equal(baseImage);
  });

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
    expect(secret.stringData).to.have.properties([
      'MONGO_URL',
      'AUTH_STATE_SECRET',
      'HUB_API_TOKEN',
      'SPAWNER_TOKEN',
      'VAULT_TOKEN',
      'METRICS_TOKEN',
    ]);
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
            service: {
              type: 'object',
              additionalProperties: false,
              properties: {type: {enum: ['ClusterIP', 'NodePort', 'LoadBalancer', 'ExternalName']}},
            },
          },
        },
      },
    };

    it('uses only the chart keys it relies on, in their documented shapes, and its environment entries are Kubernetes EnvVars', () => {
      const validate = new Ajv({allErrors: true, allowUnionTypes: true}).compile(Z2JH_SCHEMA);
      expect(validate(values)).to.equal(true, JSON.stringify(validate.errors, null, 1));
      // The chart puts them into the hub container's env: validated there, in a pod.
      const hubPod = {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: {name: 'hub'},
        spec: {containers: [{name: 'hub', image: `${values.hub.image.name}:${values.hub.image.tag}`, env: Object.values(env)}]},
      };
      expectValid(YAML.stringify(hubPod), 1, `${Z2JH_VALUES} hub.extraEnv`);
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
      const claims = builds.base.filter(o => o.kind === 'PersistentVolumeClaim').map(o => o.metadata.name);
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
      const offered = configData(builds.production)
        .HUB_APPLICATIONS.split(',')
        .map(name => name.trim());
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
