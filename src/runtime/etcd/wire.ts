/**
 * Strict decoding of etcd's gRPC requests. protobufjs decodes leniently: a field sent with the
 * wrong wire type is read as if it had the right one (a Put body `0d 01 02 03 04`, key as a
 * fixed32, became the key "\x02"), so a malformed request could be applied as something its
 * sender never wrote. etcd's Go decoder refuses such bytes, and so does this checker: it walks
 * the encoded message against the .proto descriptors before protobufjs sees it, and a request
 * that fails is answered INTERNAL with grpc-go's text, never applied.
 *
 * It also bounds nesting without recursion limits biting after the fact: the only recursive
 * path in a request is TxnRequest → RequestOp → TxnRequest, and etcd refuses a txn nested more
 * than MAX_TXN_OPS deep (each level spends one op of the budget it passes down), so a request
 * nested past that is answered `too many operations in txn request`, as etcd answers it.
 */
import { status as Status } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { MAX_TXN_OPS } from '../../systems/etcd/etcd-validate.js';
import { EtcdFault, fault } from './codec.js';

/**
 * Message levels a request may nest: a txn MAX_TXN_OPS deep is 2·MAX_TXN_OPS levels of
 * TxnRequest/RequestOp, plus the innermost request and its fields. Deeper is always over
 * etcd's txn budget.
 */
export const MAX_REQUEST_NESTING = 2 * MAX_TXN_OPS + 4;

/** Why a request's bytes were refused (a typed code; the text is grpc-go's). */
export type WireErrorCode = 'wrongWireType' | 'truncated' | 'illegalTag' | 'overflow' | 'tooDeep';

export class WireError extends Error {
  constructor(
    readonly code: WireErrorCode,
    text: string,
  ) {
    super(text);
    this.name = 'WireError';
  }
}

interface FieldShape {
  /** The wire type the field's type is encoded with (packed repeated scalars also take 2). */
  readonly wire: number;
  readonly packable: boolean;
  /** Go's name for the field, as its errors spell it. */
  readonly goName: string;
  /** The message type's full name, for message fields. */
  readonly message?: string;
}

interface MessageShape {
  readonly goName: string;
  readonly fields: ReadonlyMap<number, FieldShape>;
}

const WIRE_OF_TYPE: Record<string, number> = {
  TYPE_DOUBLE: 1,
  TYPE_FIXED64: 1,
  TYPE_SFIXED64: 1,
  TYPE_FLOAT: 5,
  TYPE_FIXED32: 5,
  TYPE_SFIXED32: 5,
  TYPE_STRING: 2,
  TYPE_BYTES: 2,
  TYPE_MESSAGE: 2,
  TYPE_GROUP: 3,
};

function goName(snake: string): string {
  return snake
    .split('_')
    .map((p) => (p === '' ? '' : p[0]?.toUpperCase() + p.slice(1)))
    .join('');
}

interface DescriptorField {
  name: string;
  number: number;
  label: string;
  type: string;
  typeName: string;
}

/** A message descriptor's fields, checked: proto-loader's descriptor objects are untyped. */
function descriptorFields(name: string, type: unknown): DescriptorField[] {
  const fields = (type as { field?: unknown } | null)?.field;
  if (!Array.isArray(fields)) throw new Error(`etcd proto: ${name} has no field list`);
  for (const f of fields as Record<string, unknown>[]) {
    if (
      typeof f.name !== 'string' ||
      typeof f.number !== 'number' ||
      typeof f.label !== 'string' ||
      typeof f.type !== 'string' ||
      typeof f.typeName !== 'string'
    ) {
      throw new Error(`etcd proto: a field of ${name} is not a field descriptor`);
    }
  }
  return fields as DescriptorField[];
}

/** The shapes of every message of a package definition, by full name. */
export function messageShapes(def: PackageDefinition): Map<string, MessageShape> {
  const names = Object.keys(def);
  const resolve = (from: string, typeName: string): string => {
    const pkg = from.slice(0, from.lastIndexOf('.'));
    const candidates = [
      `${pkg}.${typeName}`,
      typeName,
      ...names.filter((n) => n.endsWith(`.${typeName}`)),
    ];
    const found = candidates.find((c) => isMessage(def[c]));
    if (found === undefined)
      throw new Error(`etcd proto: cannot resolve message ${typeName} from ${from}`);
    return found;
  };
  const shapes = new Map<string, MessageShape>();
  for (const name of names) {
    const d = def[name];
    if (!isMessage(d)) continue;
    const fields = new Map<number, FieldShape>();
    for (const f of descriptorFields(name, d.type)) {
      const wire = WIRE_OF_TYPE[f.type] ?? 0;
      fields.set(f.number, {
        wire,
        packable: f.label === 'LABEL_REPEATED' && wire !== 2,
        goName: goName(f.name),
        ...(f.type === 'TYPE_MESSAGE' ? { message: resolve(name, f.typeName) } : {}),
      });
    }
    shapes.set(name, { goName: name.slice(name.lastIndexOf('.') + 1), fields });
  }
  return shapes;
}

function isMessage(d: unknown): d is { type: unknown } {
  return (
    typeof d === 'object' &&
    d !== null &&
    (d as { format?: unknown }).format === 'Protocol Buffer 3 DescriptorProto'
  );
}

const EOF = (): WireError => new WireError('truncated', 'unexpected EOF');

class Cursor {
  constructor(
    readonly buf: Uint8Array,
    public pos: number,
    readonly end: number,
  ) {}

  varint(): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw EOF();
      const b = this.buf[this.pos++] as number;
      value += (b & 0x7f) * scale;
      scale *= 128;
      if (b < 0x80) return value;
    }
    throw new WireError('overflow', 'proto: integer overflow');
  }

  skip(n: number): void {
    if (n > this.end - this.pos) throw EOF();
    this.pos += n;
  }
}

/**
 * Checks `buf` as one `type` message: every known field has its type's wire type, lengths stay
 * inside their message, unknown fields are well formed. Throws a WireError.
 */
export function checkMessage(
  shapes: ReadonlyMap<string, MessageShape>,
  type: string,
  buf: Uint8Array,
): void {
  walk(shapes, type, new Cursor(buf, 0, buf.length), 1);
}

function walk(
  shapes: ReadonlyMap<string, MessageShape>,
  type: string,
  c: Cursor,
  depth: number,
): void {
  if (depth > MAX_REQUEST_NESTING) throw new WireError('tooDeep', 'request nested too deep');
  const shape = shapes.get(type);
  if (shape === undefined) throw new Error(`etcd proto: no message ${type}`);
  while (c.pos < c.end) {
    const tag = c.varint();
    const num = Math.floor(tag / 8);
    const wire = tag % 8;
    if (num <= 0 || wire === 4) {
      throw new WireError(
        'illegalTag',
        wire === 4
          ? `proto: ${shape.goName}: wiretype end group for non-group`
          : `proto: ${shape.goName}: illegal tag ${num} (wire type ${wire})`,
      );
    }
    const field = shape.fields.get(num);
    if (field !== undefined && wire !== field.wire && !(field.packable && wire === 2)) {
      throw new WireError(
        'wrongWireType',
        `proto: wrong wireType = ${wire} for field ${field.goName}`,
      );
    }
    if (field?.message !== undefined) {
      const len = c.varint();
      if (len > c.end - c.pos) throw EOF();
      const inner = new Cursor(c.buf, c.pos, c.pos + len);
      walk(shapes, field.message, inner, depth + 1);
      c.pos += len;
    } else skipValue(c, wire, num, shape.goName);
  }
}

function skipValue(c: Cursor, wire: number, num: number, msg: string): void {
  switch (wire) {
    case 0:
      c.varint();
      return;
    case 1:
      c.skip(8);
      return;
    case 2:
      c.skip(c.varint());
      return;
    case 5:
      c.skip(4);
      return;
    case 3: {
      // An unknown group: skipped to its matching end, counting (no recursion).
      let open = 1;
      while (open > 0) {
        const tag = c.varint();
        const w = tag % 8;
        if (w === 3) open++;
        else if (w === 4) open--;
        else skipValue(c, w, Math.floor(tag / 8), msg);
      }
      return;
    }
    default:
      throw new WireError('illegalTag', `proto: ${msg}: illegal tag ${num} (wire type ${wire})`);
  }
}

/** The fault a refused request is answered with: what etcd (grpc-go) answers. */
export function faultOfWire(e: WireError): EtcdFault {
  if (e.code === 'tooDeep') return fault('tooManyOps');
  return new EtcdFault(Status.INTERNAL, `grpc: error unmarshalling request: ${e.message}`);
}
