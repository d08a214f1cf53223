/**
 * Small runtime type guards for messages that cross a process or frame boundary.
 *
 * Every inbound message (webview -> host, host -> webview, engine <-> host) is untrusted: it is
 * checked with these guards before any field is used. They are deliberately tiny and
 * dependency-free so the same file serves Node and the browser bundle.
 */

export type Guard<T> = (value: unknown) => value is T;

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function isString(value: unknown): value is string {
  return typeof value === 'string';
}

export function isFiniteNumber(value: unknown): value is number {
  return typeof value === 'number' && Number.isFinite(value);
}

/** A non-negative safe integer: request ids, counts, indices. */
export function isIndex(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

export function isBoolean(value: unknown): value is boolean {
  return typeof value === 'boolean';
}

export function isArrayOf<T>(guard: Guard<T>): Guard<T[]> {
  return (value: unknown): value is T[] => Array.isArray(value) && value.every(guard);
}

export function isOneOf<T extends string>(...options: readonly T[]): Guard<T> {
  return (value: unknown): value is T => typeof value === 'string' && (options as readonly string[]).includes(value);
}

/** An object with exactly the listed keys checked; extra keys are ignored. */
export function isShape<T>(shape: { [K in keyof T]-?: Guard<T[K]> }): Guard<T> {
  return (value: unknown): value is T => {
    if (!isRecord(value)) return false;
    for (const key of Object.keys(shape) as (keyof T & string)[]) {
      const guard = shape[key] as Guard<unknown>;
      if (!guard(value[key])) return false;
    }
    return true;
  };
}

export function optional<T>(guard: Guard<T>): Guard<T | undefined> {
  return (value: unknown): value is T | undefined => value === undefined || guard(value);
}

export function nullable<T>(guard: Guard<T>): Guard<T | null> {
  return (value: unknown): value is T | null => value === null || guard(value);
}

/** Accepts `{}` (or a missing params object) for methods that take no parameters. */
export const isEmptyParams: Guard<Record<string, never>> = (value: unknown): value is Record<string, never> =>
  value === undefined || (isRecord(value) && Object.keys(value).length === 0);
