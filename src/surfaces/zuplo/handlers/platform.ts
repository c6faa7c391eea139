import { sha256Hex } from '../../../domain/platform/PlatformService.ts';
import { EnvironmentType } from '../../../domain/platform/types.ts';
import { loadSpec } from '../../http/loadSpec.ts';
import { ok, type HandlerContext, type Reply } from '../../http/types.ts';
import { toApiDeployment, toApiEnvironment, toApiProject, toApiVariable } from '../convert/platform.ts';
import { accountOf, audited, bearerOf, httpError, jsonBodyOf, originOf, readPlatform, runPlatform, subOf } from './common.ts';

const svc = (c: HandlerContext) => c.services.platform;
const p = (c: HandlerContext) => c.params as Record<string, string>;

// ---- identity
/** Like every other route here, no credential is required: without one the caller is `anonymous`. */
export function whoAmI(c: HandlerContext): Reply {
  return ok({ sub: subOf(bearerOf(c)), account: svc(c).account().name });
}

export function listAccounts(c: HandlerContext): Reply {
  return ok({ data: readPlatform(c, (tx) => svc(c).listAccounts(tx)) });
}

export function openApi(): Reply {
  return ok(loadSpec('zuplo'));
}

// ---- projects
export function listProjects(c: HandlerContext): Reply {
  const account = accountOf(c);
  const list = readPlatform(c, (tx) => svc(c).listProjects(tx, account));
  return ok({ data: list.map(toApiProject) });
}

export async function createProject(c: HandlerContext): Promise<Reply> {
  const account = accountOf(c);
  const { name } = c.body as { name: string };
  const project = await audited(c, 'project.create', () => ({ type: 'project', id: name }), () => runPlatform(c, (tx) => svc(c).createProject(tx, account, name)), account);
  return ok(toApiProject(project));
}

// ---- environments
export function listEnvironments(c: HandlerContext): Reply {
  const accountName = accountOf(c);
  const projectName = typeof c.query.projectName === 'string' ? c.query.projectName : undefined;
  const list = readPlatform(c, (tx) => svc(c).listEnvironments(tx, { accountName, ...(projectName ? { projectName } : {}) }));
  return ok({ data: list.map(toApiEnvironment) });
}

export async function createEnvironment(c: HandlerContext): Promise<Reply> {
  const body = c.body as { accountName: string; projectName: string; branchName: string; environmentType: 'production' | 'preview' };
  const e = await audited(c, 'environment.create', (r) => ({ type: 'environment', id: r?.name ?? body.branchName }), () =>
    runPlatform(c, (tx) => svc(c).createEnvironment(tx, { ...body, environmentType: body.environmentType === 'production' ? EnvironmentType.production : EnvironmentType.preview })),
    body.accountName,
  );
  return ok(toApiEnvironment(e));
}

export function getEnvironment(c: HandlerContext): Reply {
  return ok(toApiEnvironment(readPlatform(c, (tx) => svc(c).getEnvironment(tx, p(c).environmentName!))));
}

export function getConfiguration(c: HandlerContext): Reply {
  return ok(readPlatform(c, (tx) => svc(c).configuration(tx, p(c).environmentName!, originOf(c))));
}

export function getLocalConfiguration(c: HandlerContext): Reply {
  return ok(readPlatform(c, (tx) => svc(c).localConfiguration(tx, p(c).environmentName!, originOf(c))));
}

// ---- deploy flow
export async function sourceUrl(c: HandlerContext): Promise<Reply> {
  const body = await jsonBodyOf(c);
  const str = (k: string) => (typeof body[k] === 'string' && body[k] ? (body[k] as string) : undefined);
  const accountName = str('accountName');
  const projectName = str('projectName');
  // the CLI sends `environment` (its branch), the published schema `branchName`
  const branchName = str('environment') ?? str('branchName') ?? str('branch') ?? 'main';
  if (!accountName || !projectName) throw httpError(400, 'accountName and projectName are required');
  const u = await audited(c, 'deployment.create', (r) => ({ type: 'deployment', id: r?.deploymentName ?? projectName }), () =>
    runPlatform(c, (tx) => svc(c).requestSourceUpload(tx, { accountName, projectName, branchName, ...(str('repositoryUrl') ? { repositoryUrl: str('repositoryUrl')! } : {}), ...(str('sha') ? { sha: str('sha')! } : {}) })),
    accountName,
  );
  return ok({ uploadUrl: `${originOf(c)}/v1/deployments/uploads/${u.id}`, deploymentId: u.id });
}

export async function sources(c: HandlerContext): Promise<Reply> {
  const body = c.body as { accountName: string; projectName: string; branchName: string };
  const u = await audited(c, 'deployment.create', (r) => ({ type: 'deployment', id: r?.deploymentName ?? body.projectName }), () => runPlatform(c, (tx) => svc(c).requestSourceUpload(tx, body)), body.accountName);
  return ok({ uploadUrl: `${originOf(c)}/v1/deployments/uploads/${u.id}` });
}

export async function upload(c: HandlerContext): Promise<Reply> {
  const id = p(c).deploymentId!;
  let data: Buffer;
  if (Buffer.isBuffer(c.body)) data = c.body;
  else if (typeof c.body === 'string') data = Buffer.from(c.body);
  else data = await c.request.rawBody();
  await runPlatform(c, (tx) => svc(c).completeUpload(tx, id, { sizeBytes: data.length, sha256: sha256Hex(data) }));
  return { status: 200 };
}

export function deploymentStatus(c: HandlerContext): Reply {
  const { accountName, projectName, statusId } = p(c);
  const { upload: u, environment: e } = readPlatform(c, (tx) => svc(c).deploymentStatus(tx, accountName!, projectName!, statusId!));
  const url = e?.url ?? '';
  return ok({
    status: u.status,
    url,
    steps: { upload: u.uploadedOn ? 'SUCCESS' : 'IN_PROGRESS', build: u.status, deploy: u.status },
    buildResult: u.uploadedOn ? { buildId: u.buildId, sizeBytes: u.sizeBytes, sha256: u.sha256 } : {},
    buildId: u.buildId,
    logUrl: `${originOf(c)}/v1/deployments/${u.deploymentName}/builds/${u.buildId}/logs`,
  });
}

export function listDeployments(c: HandlerContext): Reply {
  const { accountName, projectName } = p(c);
  const list = readPlatform(c, (tx) => svc(c).listEnvironments(tx, { accountName: accountName!, projectName: projectName! }));
  return ok({ data: list.map(toApiDeployment) });
}

export function getDeployment(c: HandlerContext): Reply {
  return ok(toApiDeployment(readPlatform(c, (tx) => svc(c).getDeployment(tx, p(c).deploymentName!))));
}

async function removeDeployment(c: HandlerContext, scope: { accountName?: string; projectName?: string }): Promise<Reply> {
  const name = p(c).deploymentName!;
  const account = scope.accountName ?? readPlatform(c, (tx) => svc(c).getDeployment(tx, name).accountName);
  await audited(c, 'deployment.delete', () => ({ type: 'deployment', id: name }), () => runPlatform(c, (tx) => svc(c).deleteDeployment(tx, name, scope)), account);
  return { status: 200 };
}

export const deleteDeployment = (c: HandlerContext) => removeDeployment(c, {});
export const deleteDeploymentByProject = (c: HandlerContext) => removeDeployment(c, { accountName: p(c).accountName!, projectName: p(c).projectName! });

export async function redeploy(c: HandlerContext): Promise<Reply> {
  const name = p(c).deploymentName!;
  const account = readPlatform(c, (tx) => svc(c).getDeployment(tx, name).accountName);
  await audited(c, 'deployment.redeploy', () => ({ type: 'deployment', id: name }), () => runPlatform(c, (tx) => svc(c).redeploy(tx, name)), account);
  return ok({ status: 'request enqueued' });
}

export function buildLogs(c: HandlerContext): Reply {
  const stage = c.query.stage as 'api' | 'dev-portal' | undefined;
  const step = c.query.step as string | undefined;
  const log = readPlatform(c, (tx) => svc(c).getBuildLogs(tx, p(c).deploymentName!, p(c).buildId!, { ...(stage ? { stage } : {}), ...(step ? { step } : {}) }));
  return ok({ data: { api: log.api, devPortal: log.devPortal } });
}

// ---- analytics and runtime logs: the emulator runs no gateway, so a deployment has no traffic
export function recentCalls(c: HandlerContext): Reply {
  readPlatform(c, (tx) => svc(c).getDeployment(tx, p(c).deploymentName!));
  return ok({ data: [] });
}

export function statsByStatusCode(c: HandlerContext): Reply {
  readPlatform(c, (tx) => svc(c).getDeployment(tx, p(c).deploymentName!));
  return ok({ data: { stats: [], details: [] } });
}

export function listRequestLogs(c: HandlerContext): Reply {
  readPlatform(c, (tx) => svc(c).getDeployment(tx, p(c).deploymentName!));
  return ok({ data: [], pagination: { cursor: null, hasMore: false } });
}

export function getRequestLog(c: HandlerContext): Reply {
  readPlatform(c, (tx) => svc(c).getDeployment(tx, p(c).deploymentName!));
  throw httpError(404, `request '${p(c).requestId}' not found`);
}

// ---- variables
export async function createVariable(c: HandlerContext): Promise<Reply> {
  const { accountName, projectName, branchName } = p(c);
  const body = c.body as { name: string; isSecret: boolean; value: string };
  const v = await audited(c, 'variable.create', () => ({ type: 'variable', id: body.name }), () =>
    runPlatform(c, (tx) => svc(c).createVariable(tx, { accountName: accountName!, projectName: projectName!, branchName: branchName! }, body)),
  );
  return ok(toApiVariable(v), 201);
}

export async function updateVariable(c: HandlerContext): Promise<Reply> {
  const { accountName, projectName, branchName, variableName } = p(c);
  const v = await audited(c, 'variable.update', () => ({ type: 'variable', id: variableName! }), () =>
    runPlatform(c, (tx) => svc(c).updateVariable(tx, { accountName: accountName!, projectName: projectName!, branchName: branchName! }, variableName!, c.body as { value?: string })),
  );
  return ok(toApiVariable(v));
}
