/**
 * Untrusted input is checked with valibot schemas (history files, peers' messages, snapshots a
 * peer sends). Each answers the same way: the first problem, as `field.path: message`, or
 * `whole: message` when the value itself is wrong. Checks stop at that first problem
 * (`abortEarly`), which is all they report: a message from a peer is checked on every receive.
 */
import * as v from 'valibot';

/** `value` as `schema` outputs it (unknown fields of plain objects dropped), or its first problem. */
export function checkSchema<S extends v.GenericSchema>(
  schema: S,
  value: unknown,
  whole: string,
): { readonly value: v.InferOutput<S> } | { readonly problem: string } {
  const r = v.safeParse(schema, value, { abortEarly: true });
  if (r.success) return { value: r.output };
  const issue = r.issues[0];
  const path = issue.path?.map((p) => String(p.key)).join('.') ?? '';
  return { problem: `${path === '' ? whole : path}: ${issue.message}` };
}

/** Why `value` does not fit `schema`, or undefined when it does. */
export function schemaProblem(
  schema: v.GenericSchema,
  value: unknown,
  whole: string,
): string | undefined {
  const r = checkSchema(schema, value, whole);
  return 'problem' in r ? r.problem : undefined;
}
