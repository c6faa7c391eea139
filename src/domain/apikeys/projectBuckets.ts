/** A Zuplo project's buckets: one per environment type (production, preview, working copy). */
export const ProjectEnvironmentTypes = ['production', 'preview', 'working-copy'] as const;
export type ProjectEnvironmentType = (typeof ProjectEnvironmentTypes)[number];

/**
 * The name of a project's bucket for one environment type. The same name is the API-key bucket
 * (in the account's namespace) and the metering bucket id (`/v3/metering/{bucketId}`), as Zuplo's
 * runtime uses one `ZUPLO_SERVICE_BUCKET_ID` for both (docs/decisions/0024).
 */
export const projectBucketName = (projectName: string, environmentType: ProjectEnvironmentType): string =>
  `zprj-${projectName.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-${environmentType}`.slice(0, 128);
