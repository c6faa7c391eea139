import { createRequire } from 'node:module';

/**
 * express-openapi-validator 5.6.2 compiles the whole OpenAPI 3 meta-schema with ajv in every
 * `middleware()` initialisation, even with `validateApiSpec: false`, where the compiled validator
 * is never used (framework/index.js only calls it when validateApiSpec is on). We build one
 * middleware per operation, lazily, so that compile (~100 ms each, more before the JIT warms
 * up) was the largest part of every operation's first request and of start-up.
 * With validateApiSpec off, hand the framework an inert validator instead. If the library's
 * internals change shape, leave them alone: this is only a speed-up.
 */
interface SchemaValidatorModule {
  OpenAPISchemaValidator: new (opts: { version: string; validateApiSpec: boolean }) => { validate(doc: unknown): { errors: unknown[] } };
}

export function skipSpecSelfValidation(): void {
  let mod: SchemaValidatorModule;
  try {
    mod = createRequire(import.meta.url)('express-openapi-validator/dist/framework/openapi.schema.validator.js') as SchemaValidatorModule;
  } catch {
    return;
  }
  const Original = mod.OpenAPISchemaValidator;
  if (typeof Original !== 'function' || (Original as { inertWhenOff?: true }).inertWhenOff) return;
  const Patched = function (this: unknown, opts: { version: string; validateApiSpec: boolean }) {
    if (opts && opts.validateApiSpec === false) return { validate: () => ({ errors: [] }) };
    return new Original(opts);
  } as unknown as SchemaValidatorModule['OpenAPISchemaValidator'] & { inertWhenOff?: true };
  Patched.inertWhenOff = true;
  mod.OpenAPISchemaValidator = Patched;
}
