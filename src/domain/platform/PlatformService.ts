import { createHash } from 'node:crypto';
import { hexOf, uuidOf } from '../apikeys/ids.ts';
import { projectBucketName, type ProjectEnvironmentType } from '../apikeys/projectBuckets.ts';
import type { Clock } from '../shared/clock.ts';
import { DomainError, ErrorKind, conflict, notFound, validationError } from '../shared/errors.ts';
import type { IdGenerator } from '../shared/ids.ts';
import { EffectType } from '../shared/effects.ts';
import type { UnitOfWork } from '../shared/unitOfWork.ts';
import { base58Encode } from './base58.ts';
import { PlatformErrorCode as E } from './errors.ts';
import { DeployStatus, EnvironmentType, type BuildLog, type DeploymentUpload, type Environment, type Project, type Variable } from './types.ts';

const PROJECTS = 'zuplo_projects';
const ENVIRONMENTS = 'zuplo_environments';
const UPLOADS = 'zuplo_deployment_uploads';
const BUILD_LOGS = 'zuplo_build_logs';
const VARIABLES = 'zuplo_variables';

const PROJECT_NAME = /^[a-z0-9][a-z0-9-]{1,62}$/;
/** Zuplo builds on git's default branch go to production; every other branch is a preview. */
const PRODUCTION_BRANCHES = new Set(['main', 'master']);
/** Deployments get URLs on a domain the CLI does not treat as Zuplo's, so it does not poll `/__zuplo/build`. */
export const DEPLOYMENT_DOMAIN = 'localmeter.local';

/** Which of its project's buckets an environment uses (a development environment is Zuplo's working copy). */
const BUCKET_ENVIRONMENT: Record<EnvironmentType, ProjectEnvironmentType> = {
  [EnvironmentType.production]: 'production',
  [EnvironmentType.preview]: 'preview',
  [EnvironmentType.development]: 'working-copy',
};

const base64Url = (s: string): string => Buffer.from(s, 'utf8').toString('base64url');
/** `alg: none`: nothing checks the signature of the token a linked runtime sends. */
const unsignedJwt = (claims: Record<string, string>): string => `${base64Url(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${base64Url(JSON.stringify(claims))}.`;

export interface Account {
  id: string;
  name: string;
  label: string;
}

export interface SourceUrlInput {
  accountName: string;
  projectName: string;
  branchName: string;
  repositoryUrl?: string;
  sha?: string;
}

/**
 * Accounts, projects, environments (= deployments), the deploy flow (source-url → upload → status),
 * variables and build logs. A deploy builds instantly: the upload completes it.
 */
export class PlatformService {
  constructor(private readonly deps: { clock: Clock; ids: IdGenerator; defaultAccount: string }) {}

  private now(): string {
    return this.deps.clock.now().toISOString();
  }

  // ---- accounts
  /** The emulator serves one account (configurable); its id is stable across runs. */
  account(): Account {
    const name = this.deps.defaultAccount;
    return { id: uuidOf(`account:${name}`), name, label: name };
  }

  listAccounts(_tx: UnitOfWork): Account[] {
    return [this.account()];
  }

  // ---- projects
  listProjects(tx: UnitOfWork, accountName: string): Project[] {
    return tx.collection<Project>(PROJECTS).find((p) => p.accountName === accountName);
  }

  createProject(tx: UnitOfWork, accountName: string, name: string): Project {
    if (!PROJECT_NAME.test(name)) throw validationError(E.invalidName, `project name '${name}' must be 2-63 lower-case letters, digits or dashes`);
    const col = tx.collection<Project>(PROJECTS);
    // Project names are global at Zuplo (they become host names); the CLI retries another on 422.
    if (col.findOne((p) => p.name === name)) throw conflict(E.projectNameTaken, `project name '${name}' is already taken`);
    const p: Project = { id: this.deps.ids.next(), accountName, name, createdOn: this.now() };
    col.put(p);
    // every project has its production / preview / working-copy key buckets, in the account's namespace
    tx.afterCommit({ type: EffectType.provisionProjectBuckets, accountName, projectName: name });
    return p;
  }

  getProject(tx: UnitOfWork, accountName: string, name: string): Project {
    const p = tx.collection<Project>(PROJECTS).findOne((x) => x.accountName === accountName && x.name === name);
    if (!p) throw notFound(E.projectNotFound, `project '${name}' not found in account '${accountName}'`);
    return p;
  }

  private ensureProject(tx: UnitOfWork, accountName: string, name: string): Project {
    const p = tx.collection<Project>(PROJECTS).findOne((x) => x.accountName === accountName && x.name === name);
    return p ?? this.createProject(tx, accountName, name);
  }

  // ---- environments / deployments
  listEnvironments(tx: UnitOfWork, filter: { accountName?: string; projectName?: string } = {}): Environment[] {
    return tx
      .collection<Environment>(ENVIRONMENTS)
      .find((e) => (!filter.accountName || e.accountName === filter.accountName) && (!filter.projectName || e.projectName === filter.projectName));
  }

  /**
   * By its name (`lime-fox-main-1a2b3c4`) or, as `zuplo link --environment main` sends it, by the
   * branch it was deployed from. The route carries no project, so a branch name must be unique.
   */
  getEnvironment(tx: UnitOfWork, name: string): Environment {
    const col = tx.collection<Environment>(ENVIRONMENTS);
    const byName = col.get(name);
    if (byName) return byName;
    const byBranch = col.find((e) => e.branchName === name);
    if (byBranch.length === 1) return byBranch[0]!;
    if (byBranch.length > 1) {
      throw notFound(E.environmentNotFound, `environment '${name}' not found: branch '${name}' is deployed in several projects, name one of ${byBranch.map((e) => e.name).join(', ')}`);
    }
    throw notFound(E.environmentNotFound, `environment '${name}' not found`);
  }

  getDeployment(tx: UnitOfWork, name: string): Environment {
    const e = tx.collection<Environment>(ENVIRONMENTS).get(name);
    if (!e) throw notFound(E.deploymentNotFound, `deployment '${name}' not found`);
    return e;
  }

  /** POST /v1/environments (self-hosted deploys): one environment per project branch. */
  createEnvironment(tx: UnitOfWork, input: { accountName: string; projectName: string; branchName: string; environmentType: EnvironmentType }): Environment {
    this.ensureProject(tx, input.accountName, input.projectName);
    return this.environmentFor(tx, input.accountName, input.projectName, input.branchName, input.environmentType, 'PENDING');
  }

  deleteDeployment(tx: UnitOfWork, name: string, scope: { accountName?: string; projectName?: string } = {}): Environment {
    const e = this.getDeployment(tx, name);
    if ((scope.accountName && e.accountName !== scope.accountName) || (scope.projectName && e.projectName !== scope.projectName)) {
      throw notFound(E.deploymentNotFound, `deployment '${name}' not found`);
    }
    if (e.environmentType === EnvironmentType.production) {
      throw new DomainError(ErrorKind.forbidden, E.protectedEnvironment, `deployment '${name}' is the production environment and cannot be deleted`);
    }
    tx.collection<Environment>(ENVIRONMENTS).delete(e.id);
    return e;
  }

  /** Re-deploys the last sources: the deployment's timestamps move, nothing else changes. */
  redeploy(tx: UnitOfWork, name: string): Environment {
    const e = this.getDeployment(tx, name);
    const next = { ...e, state: 'STARTED', updatedOn: this.now() };
    tx.collection<Environment>(ENVIRONMENTS).put(next);
    return next;
  }

  // ---- deploy flow
  requestSourceUpload(tx: UnitOfWork, input: SourceUrlInput): DeploymentUpload {
    this.ensureProject(tx, input.accountName, input.projectName);
    const env = this.environmentFor(tx, input.accountName, input.projectName, input.branchName, PRODUCTION_BRANCHES.has(input.branchName) ? EnvironmentType.production : EnvironmentType.preview, 'PENDING');
    const ulid = this.deps.ids.next();
    const u: DeploymentUpload = {
      id: uuidOf(`upload:${ulid}`),
      accountName: input.accountName,
      projectName: input.projectName,
      branchName: input.branchName,
      ...(input.repositoryUrl ? { repositoryUrl: input.repositoryUrl } : {}),
      ...(input.sha ? { sha: input.sha } : {}),
      status: DeployStatus.inProgress,
      deploymentName: env.name,
      buildId: uuidOf(`build:${ulid}`),
      requestedOn: this.now(),
    };
    tx.collection<DeploymentUpload>(UPLOADS).put(u);
    return u;
  }

  getUpload(tx: UnitOfWork, id: string): DeploymentUpload {
    const u = tx.collection<DeploymentUpload>(UPLOADS).get(id);
    if (!u) throw notFound(E.uploadNotFound, `upload '${id}' not found`);
    return u;
  }

  /** The archive arrived: keep its size and hash (not its bytes), build, start the deployment. */
  completeUpload(tx: UnitOfWork, id: string, archive: { sizeBytes: number; sha256: string }): DeploymentUpload {
    const u = this.getUpload(tx, id);
    const now = this.now();
    const done: DeploymentUpload = { ...u, status: DeployStatus.success, sizeBytes: archive.sizeBytes, sha256: archive.sha256, uploadedOn: now };
    tx.collection<DeploymentUpload>(UPLOADS).put(done);
    const envs = tx.collection<Environment>(ENVIRONMENTS);
    const env = envs.get(u.deploymentName) ?? this.environmentFor(tx, u.accountName, u.projectName, u.branchName, PRODUCTION_BRANCHES.has(u.branchName) ? EnvironmentType.production : EnvironmentType.preview, 'PENDING');
    const sha7 = (u.sha ?? archive.sha256).slice(0, 7);
    envs.put({ ...env, state: 'STARTED', ...(u.sha ? { sha: u.sha } : {}), loggingId: `${u.accountName}::${u.projectName}::${u.branchName}::${u.branchName}::${sha7}`, updatedOn: now });
    const row = (msg: string): [string, string, string] => [now, 'info', msg];
    const log: BuildLog = {
      id: u.buildId,
      deploymentName: env.name,
      api: {
        'upload-sources': [row(`Received ${archive.sizeBytes} bytes (sha256 ${archive.sha256})`)],
        build: [row('Build started'), row('Build completed')],
        deploy: [row(`Deployed to ${env.url}`)],
      },
      devPortal: {},
    };
    tx.collection<BuildLog>(BUILD_LOGS).put(log);
    return done;
  }

  /** Status of one deploy, for the project it was made for (anything else is unknown: 404). */
  deploymentStatus(tx: UnitOfWork, accountName: string, projectName: string, id: string): { upload: DeploymentUpload; environment: Environment | undefined } {
    const u = tx.collection<DeploymentUpload>(UPLOADS).get(id);
    if (!u || u.accountName !== accountName || u.projectName !== projectName) throw notFound(E.deploymentStatusNotFound, `deployment status '${id}' not found`);
    return { upload: u, environment: tx.collection<Environment>(ENVIRONMENTS).get(u.deploymentName) };
  }

  getBuildLogs(tx: UnitOfWork, deploymentName: string, buildId: string, filter: { stage?: 'api' | 'dev-portal'; step?: string } = {}): BuildLog {
    this.getDeployment(tx, deploymentName);
    const log = tx.collection<BuildLog>(BUILD_LOGS).get(buildId);
    if (!log || log.deploymentName !== deploymentName) throw notFound(E.buildNotFound, `build '${buildId}' not found for deployment '${deploymentName}'`);
    if (filter.step && !filter.stage) throw validationError('stage_required', "'stage' is required when 'step' is given");
    const pick = (g: BuildLog['api'], stage: 'api' | 'dev-portal') => {
      if (filter.stage && filter.stage !== stage) return {};
      if (!filter.step) return g;
      return filter.step in g ? { [filter.step]: g[filter.step]! } : {};
    };
    return { ...log, api: pick(log.api, 'api'), devPortal: pick(log.devPortal, 'dev-portal') };
  }

  // ---- variables
  listVariables(tx: UnitOfWork, accountName: string, projectName: string, branchName: string): Variable[] {
    return tx.collection<Variable>(VARIABLES).find((v) => v.accountName === accountName && v.projectName === projectName && v.branchName === branchName);
  }

  createVariable(tx: UnitOfWork, scope: { accountName: string; projectName: string; branchName: string }, input: { name: string; isSecret: boolean; value: string }): Variable {
    this.getProject(tx, scope.accountName, scope.projectName);
    if (!/^[A-Z_][A-Z0-9_]*$/.test(input.name)) throw validationError(E.invalidName, `variable name '${input.name}' must be SCREAMING_SNAKE_CASE`);
    const col = tx.collection<Variable>(VARIABLES);
    const id = `${scope.accountName}/${scope.projectName}/${scope.branchName}/${input.name}`;
    if (col.get(id)) throw conflict(E.variableExists, `variable '${input.name}' already exists on branch '${scope.branchName}'`);
    const now = this.now();
    const v: Variable = { id, ...scope, name: input.name, isSecret: input.isSecret, value: input.value, createdOn: now, updatedOn: now };
    col.put(v);
    return v;
  }

  updateVariable(tx: UnitOfWork, scope: { accountName: string; projectName: string; branchName: string }, name: string, input: { value?: string }): Variable {
    const col = tx.collection<Variable>(VARIABLES);
    const v = col.get(`${scope.accountName}/${scope.projectName}/${scope.branchName}/${name}`);
    if (!v) throw notFound(E.variableNotFound, `variable '${name}' not found on branch '${scope.branchName}'`);
    const next = { ...v, ...(input.value !== undefined ? { value: input.value } : {}), updatedOn: this.now() };
    col.put(next);
    return next;
  }

  /**
   * What `zuplo link` writes to `.env.zuplo`: system values, then the branch's non-secret variables.
   * `edgeApiUrl` is where the linked runtime reaches the gateway service (this emulator).
   */
  localConfiguration(tx: UnitOfWork, environmentName: string, edgeApiUrl: string): Record<string, string> {
    const e = this.getEnvironment(tx, environmentName);
    const out: Record<string, string> = {
      accountName: e.accountName,
      projectName: e.projectName,
      environmentType: e.environmentType,
      systemConfigurations: this.systemConfigurations(tx, e, edgeApiUrl),
      ZUPLO_PUBLIC_DEPLOYMENT_NAME: e.name,
      ZUPLO_PUBLIC_SERVER_URL: e.url,
    };
    for (const v of this.listVariables(tx, e.accountName, e.projectName, e.branchName)) if (!v.isSecret) out[v.name] = v.value;
    return out;
  }

  configuration(tx: UnitOfWork, environmentName: string, edgeApiUrl: string): { accountName: string; projectName: string; environmentType: EnvironmentType; systemConfigurations: string } {
    const e = this.getEnvironment(tx, environmentName);
    return { accountName: e.accountName, projectName: e.projectName, environmentType: e.environmentType, systemConfigurations: this.systemConfigurations(tx, e, edgeApiUrl) };
  }

  /**
   * The metering (and API-key) bucket of a deployment: its project's bucket for its environment
   * type; undefined for a name that is no deployment here (docs/decisions/0024).
   */
  bucketOfDeployment(tx: UnitOfWork, deploymentName: string): string | undefined {
    const e = tx.collection<Environment>(ENVIRONMENTS).get(deploymentName);
    return e ? projectBucketName(e.projectName, BUCKET_ENVIRONMENT[e.environmentType]) : undefined;
  }

  /**
   * base58(JSON) as Zuplo's runtime and Zudoku decode `ZUPLO_SYSTEM_CONFIGURATIONS`: the runtime
   * copies every key it lacks into its environment, so the edge URL, the bucket and the JWT
   * point a linked `zuplo dev` at this emulator. `__ZUPLO_CONFIG` is base64(JSON) (the runtime
   * reads it with atob) and repeats the edge URL for runtimes that read the config first.
   */
  private systemConfigurations(tx: UnitOfWork, e: Environment, edgeApiUrl: string): string {
    const bucket = projectBucketName(e.projectName, BUCKET_ENVIRONMENT[e.environmentType]);
    const project = tx.collection<Project>(PROJECTS).findOne((p) => p.accountName === e.accountName && p.name === e.projectName);
    const config = { deployment_name: e.name, account_name: e.accountName, project_name: e.projectName, zuplo_edge_api_url: edgeApiUrl };
    const values: Record<string, string> = {
      __ZUPLO_DEPLOYMENT_NAME: e.name,
      // any bearer is accepted by the gateway routes; a readable, unsigned token names the deployment
      __ZUPLO_AUTH_API_JWT: unsignedJwt({ iss: 'localmeter', sub: e.name, aud: 'zuplo-gateway-service' }),
      __ZUPLO_EDGE_API_URL: edgeApiUrl,
      __ZUPLO_CONFIG: Buffer.from(JSON.stringify(config), 'utf8').toString('base64'),
      ZUPLO_SERVICE_BUCKET_ID: bucket,
      ZUPLO_API_KEY_SERVICE_BUCKET_NAME: bucket,
      ZUPLO_ENVIRONMENT_TYPE: e.environmentType,
      ZUPLO_PROJECT_ID: project?.id ?? e.projectName,
    };
    return base58Encode(new TextEncoder().encode(JSON.stringify(values)));
  }

  private environmentFor(tx: UnitOfWork, accountName: string, projectName: string, branchName: string, environmentType: EnvironmentType, state: string): Environment {
    const col = tx.collection<Environment>(ENVIRONMENTS);
    const existing = col.findOne((e) => e.accountName === accountName && e.projectName === projectName && e.branchName === branchName);
    if (existing) return existing;
    const branchSlug = branchName.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '') || 'branch';
    const name = `${projectName}-${branchSlug}-${hexOf(`env:${this.deps.ids.next()}`, 7)}`;
    const now = this.now();
    const e: Environment = {
      id: name,
      name,
      accountName,
      projectName,
      branchName,
      environmentType,
      state,
      url: `https://${name}.${DEPLOYMENT_DOMAIN}`,
      loggingId: `${accountName}::${projectName}::${branchName}::${branchName}`,
      createdOn: now,
      updatedOn: now,
    };
    col.put(e);
    return e;
  }
}

/** sha256 of an uploaded archive (hex), for the upload record */
export const sha256Hex = (data: Uint8Array | string): string => createHash('sha256').update(data).digest('hex');

