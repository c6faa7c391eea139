/**
 * The one error type the domain throws. Surfaces map `kind` to a status code and their own
 * wire shape in exactly one place each (surfaces/<name>/errors.ts).
 */
export const ErrorKind = {
  validation: 'validation',
  notFound: 'notFound',
  conflict: 'conflict',
  forbidden: 'forbidden',
  unauthorized: 'unauthorized',
  preconditionFailed: 'preconditionFailed',
  gone: 'gone',
  notImplemented: 'notImplemented',
} as const;
export type ErrorKind = (typeof ErrorKind)[keyof typeof ErrorKind];

export interface ValidationIssue {
  /** stable snake_case code, the same string the real service emits (e.g. `plan_phase_duplicated_key`) */
  code: string;
  message: string;
  /** JSON-path-like location of the offending value, e.g. `phases[1].rateCards[0].price` */
  field?: string;
  severity?: 'critical' | 'warning';
  component?: string;
  [attr: string]: unknown;
}

export class DomainError extends Error {
  readonly kind: ErrorKind;
  readonly code: string;
  readonly issues: ValidationIssue[];
  /** extra members rendered into the problem's `extensions` (e.g. conflictingEntityId) */
  readonly extensions: Record<string, unknown>;

  constructor(
    kind: ErrorKind,
    code: string,
    message: string,
    opts: { issues?: ValidationIssue[]; extensions?: Record<string, unknown> } = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
    this.issues = opts.issues ?? [];
    this.extensions = opts.extensions ?? {};
  }
}

export const isDomainError = (e: unknown): e is DomainError => e instanceof DomainError;

export const validationError = (code: string, message: string, issues: ValidationIssue[] = []) =>
  new DomainError(ErrorKind.validation, code, message, { issues });

export const notFound = (code: string, message: string) => new DomainError(ErrorKind.notFound, code, message);

export const conflict = (code: string, message: string, extensions: Record<string, unknown> = {}) =>
  new DomainError(ErrorKind.conflict, code, message, { extensions });

/** Collects rule violations so a caller sees every problem at once, as the real service reports them. */
export class IssueCollector {
  readonly issues: ValidationIssue[] = [];
  add(code: string, message: string, field?: string, extra: Record<string, unknown> = {}): void {
    this.issues.push({ code, message, severity: 'critical', ...(field ? { field } : {}), ...extra });
  }
  get empty(): boolean {
    return this.issues.length === 0;
  }
  /** throws a validation DomainError carrying every collected issue, if any */
  throwIfAny(code = 'validation_error'): void {
    if (this.issues.length === 0) return;
    const message = this.issues.map((i) => i.message).join('; ');
    throw validationError(this.issues.length === 1 ? this.issues[0]!.code : code, message, this.issues);
  }
}
