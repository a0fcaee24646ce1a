/**
 * The type OIDs (PostgreSQL's pg_type) this server describes its columns and parameters with,
 * and the binary parameter formats it reads. Results are always sent in text format.
 */
import { SqlError, SqlState } from '../../systems/sql/sql-errors.js';
import type { ResultType } from '../../systems/sql/values.js';

export const Oid = {
  bool: 16,
  int8: 20,
  int2: 21,
  int4: 23,
  text: 25,
  varchar: 1043,
  timestamp: 1114,
  timestamptz: 1184,
  numeric: 1700,
  unknown: 705,
} as const;

export function oidOf(t: ResultType): { oid: number; size: number } {
  switch (t) {
    case 'int8':
      return { oid: Oid.int8, size: 8 };
    case 'text':
      return { oid: Oid.text, size: -1 };
    case 'bool':
      return { oid: Oid.bool, size: 1 };
    case 'timestamp':
      return { oid: Oid.timestamp, size: 8 };
    case 'timestamptz':
      return { oid: Oid.timestamptz, size: 8 };
    case 'numeric':
      return { oid: Oid.numeric, size: -1 };
  }
}

/** A parameter sent in binary format, as text the SQL layer reads (types it knows only). */
export function binaryParamText(oid: number, b: Buffer): string {
  const bad = (): never => {
    throw new SqlError(
      SqlState.invalidParameterValue,
      `binary parameter of ${b.length} bytes does not fit type ${oid}`,
    );
  };
  switch (oid) {
    case Oid.int8:
      return b.length === 8 ? b.readBigInt64BE(0).toString() : bad();
    case Oid.int4:
      return b.length === 4 ? String(b.readInt32BE(0)) : bad();
    case Oid.int2:
      return b.length === 2 ? String(b.readInt16BE(0)) : bad();
    case Oid.bool:
      return b.length === 1 ? (b[0] === 0 ? 'f' : 't') : bad();
    case Oid.text:
    case Oid.varchar:
    case Oid.unknown:
      return b.toString('utf8');
    default:
      throw new SqlError(
        SqlState.featureNotSupported,
        `binary format for parameters of type ${oid} is not supported (send text)`,
      );
  }
}
