/**
 * SQL errors carry PostgreSQL's SQLSTATE as their typed code, so the wire front end sends it as
 * the error's `C` field and clients (and tests) branch on the code, never on the message.
 */

/** The SQLSTATE codes this layer raises (PostgreSQL's appendix A names). */
export const SqlState = {
  successfulCompletion: '00000',
  featureNotSupported: '0A000',
  syntaxError: '42601',
  undefinedTable: '42P01',
  undefinedColumn: '42703',
  duplicateTable: '42P07',
  duplicateColumn: '42701',
  ambiguousColumn: '42702',
  groupingError: '42803',
  datatypeMismatch: '42804',
  invalidTableDefinition: '42P16',
  undefinedFunction: '42883',
  undefinedObject: '42704',
  undefinedParameter: '42P02',
  uniqueViolation: '23505',
  notNullViolation: '23502',
  invalidTextRepresentation: '22P02',
  numericValueOutOfRange: '22003',
  divisionByZero: '22012',
  invalidDatetimeFormat: '22007',
  serializationFailure: '40001',
  inFailedSqlTransaction: '25P02',
  activeSqlTransaction: '25001',
  noActiveSqlTransaction: '25P01',
  protocolViolation: '08P01',
  invalidAuthorizationSpecification: '28000',
  invalidPassword: '28P01',
  invalidCatalogName: '3D000',
  tooManyConnections: '53300',
  programLimitExceeded: '54000',
  statementTooComplex: '54001',
  invalidParameterValue: '22023',
  invalidSqlStatementName: '26000',
  duplicatePreparedStatement: '42P05',
  invalidCursorName: '34000',
  internalError: 'XX000',
  connectionFailure: '08006',
} as const;
export type SqlStateCode = (typeof SqlState)[keyof typeof SqlState];

export class SqlError extends Error {
  constructor(
    readonly code: SqlStateCode,
    message: string,
    /** PostgreSQL's optional DETAIL and HINT fields. */
    readonly detail?: string,
    readonly hint?: string,
  ) {
    super(message);
    this.name = 'SqlError';
  }
}

/** Whether a client should run the whole transaction again (SQLSTATE class 40). */
export function isRetryable(e: SqlError): boolean {
  return e.code === SqlState.serializationFailure;
}
