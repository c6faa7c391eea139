/**
 * Cuts one operation out of a surface document: its path item plus every component it reaches
 * through `$ref`, transitively. express-openapi-validator preprocesses and compiles a whole
 * document before it answers anything (seconds for the 1 MB OpenMeter document); fed one
 * operation at a time, it compiles only what the request in hand needs, on first use.
 */
type Json = Record<string, unknown>;

export function operationSpec(full: Json, path: string, method: string): Json {
  const paths = full.paths as Record<string, Json>;
  const item = paths[path]!;
  const pathItem: Json = { [method]: item[method] };
  if (item.parameters) pathItem.parameters = item.parameters;

  const components = (full.components ?? {}) as Record<string, Record<string, unknown>>;
  const picked: Record<string, Record<string, unknown>> = {};
  const seen = new Set<string>();
  const queue: unknown[] = [pathItem];
  while (queue.length > 0) {
    const node = queue.pop();
    if (Array.isArray(node)) {
      for (const x of node) queue.push(x);
      continue;
    }
    if (!node || typeof node !== 'object') continue;
    for (const [k, v] of Object.entries(node as Json)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/components/')) {
        if (seen.has(v)) continue;
        seen.add(v);
        const [, , kind, name] = v.split('/') as [string, string, string, string];
        const target = components[kind]?.[name];
        if (target === undefined) continue;
        (picked[kind] ??= {})[name] = target;
        queue.push(target);
      } else if (v && typeof v === 'object') {
        queue.push(v);
      }
    }
  }
  if (components.securitySchemes) picked.securitySchemes = components.securitySchemes;
  const doc: Json = { openapi: full.openapi, info: full.info, paths: { [path]: pathItem }, components: picked };
  if (full.servers) doc.servers = full.servers;
  return withReservedQueryValues(withoutDiscriminators(structuredClone(doc)));
}

/**
 * express-openapi-validator 5.6.2 mishandles `discriminator` on request bodies: required fields
 * of one `oneOf` branch leak into the others (a sandbox app install is checked for Stripe's
 * `api_key`). Every branch of the vendors' unions pins its `type` with an enum, so plain `oneOf`
 * selects exactly one branch and the discriminator adds nothing but the bug.
 */
function withoutDiscriminators(node: unknown): Json {
  const stack: unknown[] = [node];
  while (stack.length > 0) {
    const cur = stack.pop();
    if (Array.isArray(cur)) stack.push(...cur);
    else if (cur && typeof cur === 'object') {
      const o = cur as Json;
      if ('discriminator' in o && Array.isArray(o.oneOf)) delete o.discriminator;
      for (const v of Object.values(o)) if (v && typeof v === 'object') stack.push(v);
    }
  }
  return node as Json;
}

/**
 * express-openapi-validator refuses a query value holding a reserved character (`:` in
 * `from=2026-01-01T00:00:00Z`) unless the parameter says `allowReserved`. The real services
 * parse query strings with Go's net/url, which takes such values as they are, and clients send
 * them unencoded; so every query parameter of the cut allows them.
 */
function withReservedQueryValues(doc: Json): Json {
  const mark = (p: unknown) => {
    if (p && typeof p === 'object' && (p as Json).in === 'query') (p as Json).allowReserved = true;
  };
  for (const item of Object.values(doc.paths as Record<string, Json>)) {
    for (const v of Object.values(item)) {
      if (Array.isArray(v)) v.forEach(mark);
      else if (v && typeof v === 'object' && Array.isArray((v as Json).parameters)) ((v as Json).parameters as unknown[]).forEach(mark);
    }
  }
  for (const p of Object.values(((doc.components as Json)?.parameters ?? {}) as Json)) mark(p);
  return doc;
}
