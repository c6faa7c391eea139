/**
 * Records of Zuplo's control plane. All live in one namespace (`zuplo`) and carry their account,
 * because several routes (`/v1/deployments/{name}`, `/v1/environments/{name}`) name no account.
 * `createdOn`/`updatedOn` are ISO-8601 with milliseconds.
 */
export interface Project {
  id: string;
  accountName: string;
  name: string;
  createdOn: string;
}

export const EnvironmentType = { production: 'production', preview: 'preview', development: 'development' } as const;
export type EnvironmentType = (typeof EnvironmentType)[keyof typeof EnvironmentType];

/** A Zuplo environment and its deployment are one thing with one name (`project-branch-7hex`). */
export interface Environment {
  /** = name */
  id: string;
  name: string;
  accountName: string;
  projectName: string;
  branchName: string;
  environmentType: EnvironmentType;
  /** STARTED once a build succeeded; PENDING for an environment created without sources */
  state: string;
  url: string;
  loggingId: string;
  sha?: string;
  createdOn: string;
  updatedOn: string;
}

export const DeployStatus = { inProgress: 'IN_PROGRESS', success: 'SUCCESS', error: 'ERROR' } as const;
export type DeployStatus = (typeof DeployStatus)[keyof typeof DeployStatus];

/** One `deploy`: the source-url request, the uploaded archive (size/sha only) and the build it ran. */
export interface DeploymentUpload {
  /** deploymentId handed to the CLI (a UUID) */
  id: string;
  accountName: string;
  projectName: string;
  branchName: string;
  repositoryUrl?: string;
  sha?: string;
  status: DeployStatus;
  deploymentName: string;
  buildId: string;
  sizeBytes?: number;
  sha256?: string;
  /** requested = source-url answered; uploadedOn = archive received, build done */
  requestedOn: string;
  uploadedOn?: string;
}

export interface BuildLog {
  /** = buildId */
  id: string;
  deploymentName: string;
  api: Record<string, [string, string, string][]>;
  devPortal: Record<string, [string, string, string][]>;
}

export interface Variable {
  id: string;
  accountName: string;
  projectName: string;
  branchName: string;
  name: string;
  isSecret: boolean;
  value: string;
  createdOn: string;
  updatedOn: string;
}

export interface Tunnel {
  /** `tnl_…` */
  id: string;
  accountName: string;
  name: string;
  token: string;
  services: { version: number; services: TunneledService[] };
  createdOn: string;
  updatedOn: string;
}

export interface TunneledService {
  name: string;
  endpoint: string;
  configurations: { project: string; accessibleBy: string[] }[];
}

export const OperationStatus = { inProgress: 'in-progress', success: 'success', error: 'error' } as const;
export type OperationStatus = (typeof OperationStatus)[keyof typeof OperationStatus];

/** Teardown (tunnel delete) or provisioning (services update): done the first time it is polled. */
export interface TunnelOperation {
  id: string;
  kind: 'teardown' | 'provisioning';
  accountName: string;
  tunnelId: string;
  status: OperationStatus;
  message?: string;
  createdOn: string;
}

export interface CustomDomain {
  /** `cdm_…` */
  id: string;
  accountName: string;
  hostname: string;
  provider: 'cloudflare' | 'amazon' | 'custom' | 'alias';
  deploymentName: string | null;
  projectName: string;
  branchName: string | null;
  environmentType: 'PRODUCTION' | 'PREVIEW' | 'WORKING_COPY' | null;
  stage: 'api' | 'dev-portal' | null;
  isDefault: boolean;
  verification: { name: string; type: string; value: string };
  createdOn: string;
  updatedOn: string;
}

export interface CertificateInfo {
  subject: string;
  issuer: string;
  validFrom: string;
  validTo: string;
  serialNumber: string;
}

export interface CaCertificate {
  /** `cert_…` */
  id: string;
  accountName: string;
  name: string;
  certificateInfo: CertificateInfo;
  createdOn: string;
  updatedOn: string;
}

export interface MtlsCertificate {
  /** `mtls_…` */
  id: string;
  accountName: string;
  projectName: string;
  name: string;
  certificateInfo: CertificateInfo;
  environments: { development: boolean; preview: boolean; production: boolean };
  createdOn: string;
  updatedOn: string;
}

export interface Fleet {
  /** `flt_…`; a fleet exists from the first time it is named */
  id: string;
  accountName: string;
  name: string;
  proxyConfiguration: Record<string, unknown> | null;
  createdOn: string;
  updatedOn: string;
}

export interface AuditContext {
  requestId: string;
  ipAddress: string | null;
  userAgent: string | null;
  url: string | null;
  method: string | null;
  actorSub: string;
  actorEmail: string | null;
}

export interface AuditLogEntry {
  id: string;
  accountName: string;
  action: string;
  resources: { type: string; id: string }[];
  metadata: Record<string, unknown> | null;
  success: boolean;
  error: string | null;
  context: AuditContext;
  /** when the mutation ran */
  timestamp: string;
}
