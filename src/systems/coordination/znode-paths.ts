/**
 * Znode paths as ZooKeeper's PathUtils.validatePath accepts them: absolute, `/`-separated, no
 * empty, `.` or `..` component, no trailing `/` (but the root), no NUL or other control
 * characters.
 */

/** Why `path` is not a valid znode path, or undefined when it is. */
export function pathProblem(path: string): string | undefined {
  if (path.length === 0) return 'empty path';
  if (path[0] !== '/') return 'not absolute';
  if (path === '/') return undefined;
  if (path.endsWith('/')) return 'trailing /';
  for (const part of path.slice(1).split('/')) {
    if (part === '') return 'empty component';
    if (part === '.' || part === '..') return `relative component ${part}`;
  }
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c <= 0x1f || (c >= 0x7f && c <= 0x9f) || (c >= 0xd800 && c <= 0xf8ff) || c >= 0xfff0) {
      return `invalid character at ${i}`;
    }
  }
  return undefined;
}

/** The parent of a valid non-root path. */
export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** The last component of a valid non-root path. */
export function baseName(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

export function childPath(parent: string, name: string): string {
  return parent === '/' ? `/${name}` : `${parent}/${name}`;
}

/** The suffix a sequential create appends: the parent's cversion as %010d (negative: `-` and 9 digits, as Java's format does). */
export function sequenceSuffix(parentCversion: number): string {
  const digits = String(Math.abs(parentCversion)).padStart(parentCversion < 0 ? 9 : 10, '0');
  return parentCversion < 0 ? `-${digits}` : digits;
}

/** The sequence number a sequential node's name ends with, or undefined when it has none. */
export function sequenceOf(name: string): number | undefined {
  const m = /(\d{10})$/.exec(name);
  return m === null ? undefined : Number(m[1]);
}

/** Whether `path` is `ancestor` or lies below it. */
export function isAtOrBelow(path: string, ancestor: string): boolean {
  if (ancestor === '/') return true;
  return path === ancestor || path.startsWith(`${ancestor}/`);
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Znode data travels and is stored as base64 (plain JSON all the way to the wire codec, which
 * decodes it to bytes). The number of bytes it holds, or undefined when it is not base64.
 */
export function base64Bytes(data: string): number | undefined {
  if (!BASE64.test(data)) return undefined;
  const pad = data.endsWith('==') ? 2 : data.endsWith('=') ? 1 : 0;
  return (data.length / 4) * 3 - pad;
}
