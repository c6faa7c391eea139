/**
 * Stripe's request encoding: `application/x-www-form-urlencoded` with bracket keys
 * (`metadata[om_app_id]=…`, `enabled_events[0]=…`, `setup_intent_data[metadata][k]=…`), the same
 * in query strings (`expand[0]=…`). Objects whose keys are all indices become arrays; an empty
 * value (`metadata=`) means "unset", as Stripe reads it.
 */
export type FormValue = string | FormValue[] | { [key: string]: FormValue };
export type FormObject = { [key: string]: FormValue };

export function decodeForm(text: string): FormObject {
  const root: FormObject = {};
  if (!text) return root;
  for (const pair of text.split('&')) {
    if (!pair) continue;
    const eq = pair.indexOf('=');
    const rawKey = decodeURIComponent((eq < 0 ? pair : pair.slice(0, eq)).replace(/\+/g, ' '));
    const value = eq < 0 ? '' : decodeURIComponent(pair.slice(eq + 1).replace(/\+/g, ' '));
    const path = keyPath(rawKey);
    let node: Record<string, FormValue> = root;
    for (let i = 0; i < path.length - 1; i++) {
      const seg = path[i]!;
      const next = node[seg];
      if (typeof next !== 'object' || next === null) node[seg] = {};
      node = node[seg] as Record<string, FormValue>;
    }
    const last = path[path.length - 1]!;
    // `expand[]=a&expand[]=b` appends
    if (last === '') node[String(Object.keys(node).length)] = value;
    else node[last] = value;
  }
  return arraysOf(root) as FormObject;
}

function keyPath(key: string): string[] {
  const open = key.indexOf('[');
  if (open < 0) return [key];
  const out = [key.slice(0, open)];
  const re = /\[([^\]]*)\]/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(key.slice(open))) !== null) out.push(m[1]!);
  return out;
}

function arraysOf(v: FormValue): FormValue {
  if (typeof v === 'string' || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  const mapped: Record<string, FormValue> = {};
  for (const k of keys) mapped[k] = arraysOf(v[k]!);
  if (keys.length > 0 && keys.every((k) => /^\d+$/.test(k))) return keys.sort((a, b) => Number(a) - Number(b)).map((k) => mapped[k]!);
  return mapped;
}

/** The inverse, for the emulator's own clients and tests. */
export function encodeForm(obj: Record<string, unknown>, prefix = ''): string {
  const parts: string[] = [];
  for (const [k, v] of Object.entries(obj)) {
    if (v === undefined) continue;
    const key = prefix ? `${prefix}[${k}]` : k;
    if (v !== null && typeof v === 'object') parts.push(encodeForm(v as Record<string, unknown>, key));
    else parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(String(v ?? ''))}`);
  }
  return parts.filter(Boolean).join('&');
}
