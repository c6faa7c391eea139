/**
 * OpenMeter's filter objects, shared by metering (event and group-by filters) and the catalog
 * (feature group-by filters).
 */
/** `FilterString`: `$eq`, `$in`, `$like`, ..., `$and`, `$or`. */
export interface FilterString {
  $eq?: string | null;
  $ne?: string | null;
  $in?: string[] | null;
  $nin?: string[] | null;
  $like?: string | null;
  $nlike?: string | null;
  $ilike?: string | null;
  $nilike?: string | null;
  $gt?: string | null;
  $gte?: string | null;
  $lt?: string | null;
  $lte?: string | null;
  $and?: FilterString[] | null;
  $or?: FilterString[] | null;
}

/** `FilterTime`: comparisons on RFC 3339 instants. */
export interface FilterTime {
  $gt?: string | null;
  $gte?: string | null;
  $lt?: string | null;
  $lte?: string | null;
  $and?: FilterTime[] | null;
  $or?: FilterTime[] | null;
}
