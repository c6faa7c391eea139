import type { CaCertificate, CustomDomain, Environment, MtlsCertificate, Project, Tunnel, TunnelOperation, Variable, AuditLogEntry } from '../../../domain/platform/types.ts';
import type { components } from '../api.gen.ts';

type S = components['schemas'];

const DEPLOYMENT_ENV_TYPE: Record<Environment['environmentType'], string> = { production: 'PRODUCTION', preview: 'PREVIEW', development: 'WORKING_COPY' };

/**
 * Every emulated project is a managed-edge API gateway. `zuplo link` keeps `type` only when it is
 * managed-edge or managed-dedicated; `zuplo project list` prints `productType` in its table.
 */
export const toApiProject = (p: Project): S['Zuplo.Projects.Project'] => ({ name: p.name, accountName: p.accountName, type: 'managed-edge', productType: 'api-gateway' });

export const toApiEnvironment = (e: Environment): S['Zuplo.Environments.Environment'] => ({
  name: e.name,
  createdOn: e.createdOn,
  accountName: e.accountName,
  projectName: e.projectName,
  branchName: e.branchName,
  environmentType: e.environmentType,
});

export const toApiDeployment = (e: Environment): S['Zuplo.Deployments.Deployment'] & { isProtected: boolean } => ({
  name: e.name,
  url: e.url,
  label: e.branchName,
  urlParameter: e.name,
  createdOn: e.createdOn,
  updatedOn: e.updatedOn,
  loggingId: e.loggingId,
  accountName: e.accountName,
  projectName: e.projectName,
  state: e.state,
  message: '',
  branchName: e.branchName,
  environmentType: DEPLOYMENT_ENV_TYPE[e.environmentType],
  isProtected: e.environmentType === 'production',
});

export const toApiVariable = (v: Variable): S['Zuplo.Variables.Variable'] => ({
  branch: v.branchName,
  createdOn: v.createdOn,
  updatedOn: v.updatedOn,
  name: v.name,
  isSecret: v.isSecret,
  // secrets are write-only once stored
  value: v.isSecret ? '' : v.value,
});

export const toApiTunnel = (t: Tunnel): S['Zuplo.Tunnels.Tunnel'] => ({ tunnelId: t.id, name: t.name, token: t.token });

export const toApiOperation = (o: TunnelOperation): S['Zuplo.Tunnels.TunnelTeardownOperation'] => ({ id: o.id, status: o.status, ...(o.message ? { message: o.message } : {}) });

export const toApiCustomDomain = (d: CustomDomain, cname: string | null): S['Zuplo.CustomDomains.CustomDomain'] => ({
  id: d.id,
  accountName: d.accountName,
  projectName: d.projectName,
  hostname: d.hostname,
  provider: d.provider,
  deployments: [{ deploymentName: d.deploymentName, branch: d.branchName, environmentType: d.environmentType, isDefault: d.isDefault, stage: d.stage, cname }] as S['Zuplo.CustomDomains.CustomDomainDeployment'][],
});

export const toApiCustomDomainResult = (d: CustomDomain, cname: string | null): S['Zuplo.CustomDomains.CustomDomainMutationResult'] =>
  ({ deploymentName: d.deploymentName, hostname: d.hostname, stage: d.stage, ownershipVerification: d.verification, cname }) as S['Zuplo.CustomDomains.CustomDomainMutationResult'];

export const toApiCaCertificate = (x: CaCertificate): S['Zuplo.ClientMtlsCaCertificates.ClientMtlsCaCertificate'] => ({
  id: x.id,
  name: x.name,
  certificateInfo: x.certificateInfo,
  createdOn: x.createdOn,
  updatedOn: x.updatedOn,
});

export const toApiMtlsCertificate = (x: MtlsCertificate): S['Zuplo.MtlsCertificates.MtlsCertificate'] => ({
  id: x.id,
  name: x.name,
  certificateInfo: x.certificateInfo,
  environments: x.environments,
  createdOn: x.createdOn,
  updatedOn: x.updatedOn,
});

export const toApiAuditLog = (e: AuditLogEntry) => ({
  action: e.action,
  metadata: e.metadata,
  actor: { sub: e.context.actorSub, email: e.context.actorEmail, type: 'api-key', connection: null, actingAs: null, metadata: null },
  resources: e.resources.map((r) => ({ ...r, metadata: null })),
  context: { ipAddress: e.context.ipAddress, userAgent: e.context.userAgent, country: null, region: null, city: null, postalCode: null, metroCode: null, asOrg: null },
  route: { source: 'developer-api', url: e.context.url, method: e.context.method },
  timestamp: e.timestamp,
  requestId: e.context.requestId,
  success: e.success,
  error: e.error,
});
