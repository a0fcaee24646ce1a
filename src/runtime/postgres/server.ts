/**
 * PostgreSQL's wire protocol (v3) in front of a TxnKv through the SQL layer: startup (SSL and
 * GSS encryption requests answered 'N'), trust or SCRAM-SHA-256 authentication, the simple
 * query protocol and the extended one drivers use (Parse/Bind/Describe/Execute/Sync/Close/
 * Flush), results in text format, errors with their SQLSTATE, ReadyForQuery with the
 * transaction status (docs/sql.md, "The wire protocol").
 *
 * One connection's messages are handled one at a time, in order, each possibly waiting on the
 * store; bad bytes (a hostile length, a truncated field) get an ErrorResponse and that
 * connection is closed, nothing else. Connections are capped and timed by the ConnectionGate,
 * as on the other ports.
 */
import type { Server, Socket } from 'node:net';
import { randomInt } from 'node:crypto';
import type { Json } from '../../core/json.js';
import { parameterCount, parseSql, type ParsedStatement } from '../../systems/sql/sql-parse.js';
import { SqlSession, type Outcome } from '../../systems/sql/session.js';
import { SqlError, SqlState } from '../../systems/sql/sql-errors.js';
import type { ResultColumn } from '../../systems/sql/statement-types.js';
import type { TxnKv } from '../../systems/sql/txn-kv.js';
import { formatValue } from '../../systems/sql/values.js';
import {
  addressKey,
  ConnectionGate,
  connectionLimits,
  type ConnectionLimits,
} from '../connection-limits.js';
import { listen, type Address } from '../listen.js';
import {
  ScramError,
  ScramExchange,
  scramSecret,
  SCRAM_MECHANISM,
  type ScramSecret,
} from './scram.js';
import { binaryParamText, Oid, oidOf } from './types.js';
import {
  authentication,
  BodyReader,
  CANCEL_REQUEST,
  commandComplete,
  dataRow,
  empty,
  errorMessage,
  FrameReader,
  GSSENC_REQUEST,
  MessageWriter,
  parameterStatus,
  ProtocolError,
  readyForQuery,
  SSL_REQUEST,
  type ErrorFields,
  type Frame,
} from './wire.js';

/**
 * Deliberately broken variants, each caught by test/runtime/postgres/wire.test.ts:
 * - `no-message-limit`: a message length over the cap is believed (and buffered for);
 * - `no-skip-until-sync`: after an error in the extended protocol, the messages before Sync
 *   are run instead of discarded;
 * - `any-password`: the SCRAM proof is not checked.
 */
export const PG_WIRE_MUTANTS = ['no-message-limit', 'no-skip-until-sync', 'any-password'] as const;
export type PgWireMutant = (typeof PG_WIRE_MUTANTS)[number];

export interface PgUser {
  readonly name: string;
  /** Null: trusted without a password, from loopback addresses only. */
  readonly password: string | null;
}

export const DEFAULT_DATABASE = 'defaultdb';
/** The largest message accepted: a statement of MAX_SQL_LENGTH characters and then some. */
export const DEFAULT_MAX_MESSAGE = 1 << 20;
/** Messages read ahead of the one being handled before the socket stops being read. */
const MAX_QUEUED = 64;

export interface PgServerOptions {
  readonly kv: TxnKv;
  readonly listen?: Address;
  /** Who may connect; by default root, without a password, from loopback only. */
  readonly users?: readonly PgUser[];
  readonly limits?: ConnectionLimits;
  readonly maxMessage?: number;
  readonly autoRetries?: number;
  readonly log?: (message: string, fields: Record<string, Json>) => void;
  readonly mutant?: PgWireMutant;
}

export class PgServerOptionsError extends Error {
  readonly code = 'bad-option';
  constructor(message: string) {
    super(message);
    this.name = 'PgServerOptionsError';
  }
}

/** PostgreSQL's ParameterStatus values at startup (what psql and drivers read). */
const SERVER_PARAMETERS: readonly (readonly [string, string])[] = [
  ['server_version', '13.0.0'],
  ['server_encoding', 'UTF8'],
  ['client_encoding', 'UTF8'],
  ['DateStyle', 'ISO, MDY'],
  ['IntervalStyle', 'postgres'],
  ['TimeZone', 'UTC'],
  ['integer_datetimes', 'on'],
  ['standard_conforming_strings', 'on'],
  ['is_superuser', 'on'],
  ['application_name', ''],
];

interface PreparedStmt {
  readonly parsed: ParsedStatement | null;
  readonly paramOids: readonly number[];
}

interface Portal {
  readonly stmt: PreparedStmt;
  readonly params: readonly (string | null)[];
  result: { outcome: Outcome; sent: number } | null;
}

function isLoopbackAddress(a: string): boolean {
  return a === '::1' || /^127\./.test(a);
}

function sqlFields(e: SqlError, severity: 'ERROR' | 'FATAL' = 'ERROR'): ErrorFields {
  return {
    severity,
    code: e.code,
    message: e.message,
    ...(e.detail !== undefined ? { detail: e.detail } : {}),
    ...(e.hint !== undefined ? { hint: e.hint } : {}),
  };
}

export class PgServer {
  readonly gate: ConnectionGate;
  private server: Server | undefined;
  private readonly conns = new Set<PgConnection>();
  /**
   * Every socket accepted, refused ones included: a refused client that never closes its end
   * would otherwise hold close() up (the gate lets it linger a moment to read why).
   */
  private readonly sockets = new Set<Socket>();
  private readonly secrets = new Map<string, ScramSecret | null>();
  readonly maxMessage: number;
  address: Address | undefined;

  constructor(readonly o: PgServerOptions) {
    this.maxMessage = o.maxMessage ?? DEFAULT_MAX_MESSAGE;
    if (
      !Number.isSafeInteger(this.maxMessage) ||
      this.maxMessage < 1024 ||
      this.maxMessage > 1 << 30
    ) {
      throw new PgServerOptionsError(
        `max message must be 1024..${1 << 30} bytes (got ${this.maxMessage})`,
      );
    }
    for (const u of o.users ?? [{ name: 'root', password: null }]) {
      if (u.name === '' || this.secrets.has(u.name)) {
        throw new PgServerOptionsError(`user name '${u.name}' is empty or given twice`);
      }
      if (u.password === '') throw new PgServerOptionsError(`user ${u.name}: an empty password`);
      this.secrets.set(u.name, u.password === null ? null : scramSecret(u.password));
    }
    this.gate = new ConnectionGate('postgres', o.limits ?? connectionLimits(), (m, f) =>
      this.log(m, f),
    );
  }

  async start(): Promise<Address> {
    const { server, address } = await listen(
      this.o.listen ?? { host: '127.0.0.1', port: 0 },
      (s) => this.accept(s),
      (e) => this.log('postgres listener error', { error: e.message }),
    );
    this.server = server;
    this.address = address;
    return address;
  }

  async close(): Promise<void> {
    for (const c of this.conns) c.close();
    this.gate.close();
    for (const s of this.sockets) s.destroy();
    const s = this.server;
    this.server = undefined;
    if (s !== undefined) await new Promise<void>((r) => s.close(() => r()));
  }

  get connectionCount(): number {
    return this.conns.size;
  }

  /** @internal */ log(message: string, fields: Record<string, Json>): void {
    this.o.log?.(message, fields);
  }

  /** @internal */ secretOf(user: string): ScramSecret | null | undefined {
    return this.secrets.get(user);
  }

  /** @internal */ forget(c: PgConnection): void {
    this.conns.delete(c);
  }

  private accept(socket: Socket): void {
    this.sockets.add(socket);
    socket.once('close', () => this.sockets.delete(socket));
    // The gate asks about the connection, which exists only once the gate has admitted it.
    const held: { conn?: PgConnection } = {};
    const admitted = this.gate.admit(socket, {
      handshook: () => held.conn?.ready === true,
      busy: () => held.conn?.busy === true,
      refuse: (s) => {
        s.write(
          errorMessage({
            severity: 'FATAL',
            code: SqlState.tooManyConnections,
            message: 'sorry, too many clients already',
          }),
        );
      },
    });
    if (admitted === undefined) return;
    held.conn = new PgConnection(this, socket, () => admitted.touch());
    this.conns.add(held.conn);
  }
}

class PgConnection {
  private readonly reader: FrameReader;
  private phase: 'startup' | 'sasl-first' | 'sasl-final' | 'ready' | 'closed' = 'startup';
  private session: SqlSession | null = null;
  private user = '';
  private database = '';
  private scram: ScramExchange | null = null;
  private readonly statements = new Map<string, PreparedStmt>();
  private readonly portals = new Map<string, Portal>();
  /** After an error in the extended protocol: discard messages until Sync. */
  private skipping = false;
  private readonly queue: Frame[] = [];
  private handling = false;

  constructor(
    private readonly server: PgServer,
    private readonly socket: Socket,
    touch: () => void,
  ) {
    this.reader = new FrameReader(
      server.o.mutant === 'no-message-limit' ? 0x7fffffff : server.maxMessage,
    );
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      touch();
      this.onData(chunk);
    });
    socket.on('error', () => this.close());
    socket.on('close', () => this.close());
  }

  get ready(): boolean {
    return this.phase === 'ready';
  }

  get closed(): boolean {
    return this.phase === 'closed';
  }

  get busy(): boolean {
    return this.handling || this.queue.length > 0;
  }

  close(): void {
    if (this.phase === 'closed') return;
    this.phase = 'closed';
    this.queue.length = 0;
    this.session?.close();
    this.server.forget(this);
    this.socket.destroy();
  }

  private send(b: Buffer): void {
    if (this.phase !== 'closed') this.socket.write(b);
  }

  /** A FATAL error: said, then the connection ends. */
  private fatal(f: Omit<ErrorFields, 'severity'>): void {
    if (this.phase === 'closed') return;
    this.send(errorMessage({ ...f, severity: 'FATAL' }));
    this.phase = 'closed';
    this.queue.length = 0;
    this.session?.close();
    this.server.forget(this);
    this.socket.end();
  }

  private onData(chunk: Buffer): void {
    if (this.phase === 'closed') return;
    this.reader.push(chunk);
    try {
      for (;;) {
        // The startup frames change how the next frame is read, so they are handled at once.
        if (this.reader.expectStartup && this.queue.length === 0 && !this.handling) {
          const f = this.reader.next();
          if (f === null) break;
          this.onStartupFrame(f);
          if (this.closed) return;
          continue;
        }
        if (this.reader.expectStartup) break;
        const f = this.reader.next();
        if (f === null) break;
        this.queue.push(f);
      }
    } catch (e) {
      if (e instanceof ProtocolError) {
        this.fatal({ code: e.code, message: e.message });
        return;
      }
      throw e;
    }
    if (this.queue.length > MAX_QUEUED) this.socket.pause();
    this.pump();
  }

  /** Handles queued messages one at a time; a handler that waits on the store resumes it. */
  private pump(): void {
    while (!this.handling && this.queue.length > 0 && this.phase !== 'closed') {
      if (this.socket.writableNeedDrain) {
        this.socket.once('drain', () => this.pump());
        return;
      }
      const f = this.queue.shift() as Frame;
      this.handling = true;
      let synchronous = true;
      let finished = false;
      const done = (): void => {
        this.handling = false;
        finished = true;
        if (!synchronous) this.pump();
      };
      try {
        this.onFrame(f, done);
      } catch (e) {
        this.handling = false;
        finished = true;
        if (e instanceof ProtocolError) this.fatal({ code: e.code, message: e.message });
        else if (e instanceof SqlError) this.fatal(sqlFields(e));
        else {
          this.server.log('postgres connection failed', {
            error: e instanceof Error ? e.message : String(e),
          });
          this.fatal({ code: SqlState.internalError, message: 'internal error' });
        }
      }
      synchronous = false;
      if (!finished) return;
    }
    if (this.queue.length <= MAX_QUEUED / 2 && this.socket.isPaused()) this.socket.resume();
  }

  private onStartupFrame(f: Frame): void {
    if (f.kind !== 'startup') throw new ProtocolError('expected a startup packet');
    if (f.code === SSL_REQUEST || f.code === GSSENC_REQUEST) {
      if (f.body.length !== 0) throw new ProtocolError('SSL/GSS request with a body');
      this.socket.write(Buffer.from('N'));
      return;
    }
    if (f.code === CANCEL_REQUEST) {
      // Cancelling is not supported: the request is read and the connection closed, as a
      // server that found no matching backend does.
      this.close();
      return;
    }
    this.reader.expectStartup = false;
    if (f.code >> 16 !== 3) {
      this.fatal({
        code: SqlState.featureNotSupported,
        message: `unsupported frontend protocol ${f.code >> 16}.${f.code & 0xffff}: server supports 3.0`,
      });
      return;
    }
    const r = new BodyReader(f.body);
    const params = new Map<string, string>();
    for (;;) {
      const name = r.cstring();
      if (name === '') break;
      params.set(name, r.cstring());
    }
    const user = params.get('user');
    if (user === undefined || user === '') {
      this.fatal({
        code: SqlState.invalidAuthorizationSpecification,
        message: 'no user name given',
      });
      return;
    }
    this.user = user;
    this.database = params.get('database') ?? user;
    const secret = this.server.secretOf(user);
    if (secret === undefined) {
      this.fatal({
        code: SqlState.invalidAuthorizationSpecification,
        message: `role "${user}" does not exist`,
      });
      return;
    }
    if (secret === null) {
      if (!isLoopbackAddress(addressKey(this.socket))) {
        this.fatal({
          code: SqlState.invalidAuthorizationSpecification,
          message: `user ${user} may connect without a password from loopback only`,
        });
        return;
      }
      this.authenticated();
      return;
    }
    this.scram = new ScramExchange(secret);
    this.phase = 'sasl-first';
    this.send(authentication(10, Buffer.from(`${SCRAM_MECHANISM}\0\0`)));
  }

  private authenticated(): void {
    if (this.database !== DEFAULT_DATABASE) {
      this.fatal({
        code: SqlState.invalidCatalogName,
        message: `database "${this.database}" does not exist`,
      });
      return;
    }
    this.phase = 'ready';
    this.session = new SqlSession(this.server.o.kv, {
      user: this.user,
      ...(this.server.o.autoRetries !== undefined
        ? { autoRetries: this.server.o.autoRetries }
        : {}),
    });
    this.send(authentication(0));
    for (const [k, v] of SERVER_PARAMETERS) this.send(parameterStatus(k, v));
    this.send(parameterStatus('session_authorization', this.user));
    this.send(new MessageWriter('K').int32(process.pid).int32(randomInt(0x7fffffff)).build());
    this.send(readyForQuery('I'));
  }

  private onSasl(body: Buffer): void {
    const ex = this.scram;
    if (ex === null) throw new ProtocolError('unexpected SASL response');
    const r = new BodyReader(body);
    try {
      if (this.phase === 'sasl-first') {
        const mechanism = r.cstring();
        if (mechanism !== SCRAM_MECHANISM) {
          throw new ScramError('malformed', `SASL mechanism ${mechanism} is not supported`);
        }
        const len = r.int32();
        const first = r.bytes(len).toString('utf8');
        this.send(authentication(11, Buffer.from(ex.first(first))));
        this.phase = 'sasl-final';
        return;
      }
      const text = r.bytes(r.rest).toString('utf8');
      const final = ex.final(text, this.server.o.mutant !== 'any-password');
      this.send(authentication(12, Buffer.from(final)));
      this.scram = null;
      this.authenticated();
    } catch (e) {
      if (e instanceof ScramError) {
        this.fatal({
          code:
            e.code === 'proof'
              ? SqlState.invalidPassword
              : SqlState.invalidAuthorizationSpecification,
          message:
            e.code === 'proof'
              ? `password authentication failed for user "${this.user}"`
              : e.message,
        });
        return;
      }
      throw e;
    }
  }

  private onFrame(f: Frame, done: () => void): void {
    if (f.kind !== 'message') throw new ProtocolError('a second startup packet');
    if (this.phase === 'sasl-first' || this.phase === 'sasl-final') {
      if (f.type !== 'p') throw new ProtocolError(`expected a SASL response, got '${f.type}'`);
      this.onSasl(f.body);
      done();
      return;
    }
    if (this.phase !== 'ready') {
      done();
      return;
    }
    if (f.type === 'X') {
      this.close();
      done();
      return;
    }
    if (this.skipping && f.type !== 'S' && this.server.o.mutant !== 'no-skip-until-sync') {
      done();
      return;
    }
    switch (f.type) {
      case 'Q':
        this.simpleQuery(new BodyReader(f.body).cstring(), done);
        return;
      case 'P':
        this.extended(() => this.parse(f.body), done);
        return;
      case 'B':
        this.extended(() => this.bind(f.body), done);
        return;
      case 'D':
        this.describe(f.body, done);
        return;
      case 'E':
        this.execute(f.body, done);
        return;
      case 'C':
        this.extended(() => this.closeObject(f.body), done);
        return;
      case 'H':
        done();
        return;
      case 'S':
        this.skipping = false;
        this.send(readyForQuery(this.status()));
        done();
        return;
      case 'p':
        throw new ProtocolError('unexpected SASL response');
      default:
        // COPY, function calls and anything unknown: refused, the connection kept.
        this.extended(() => {
          throw new SqlError(
            SqlState.featureNotSupported,
            `message type '${f.type}' is not supported`,
          );
        }, done);
    }
  }

  private status(): 'I' | 'T' | 'E' {
    return this.session?.status ?? 'I';
  }

  private sessionOf(): SqlSession {
    const s = this.session;
    if (s === null) throw new ProtocolError('no session');
    return s;
  }

  /** Runs a synchronous extended-protocol step; an SqlError starts skipping until Sync. */
  private extended(step: () => void, done: () => void): void {
    try {
      step();
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      this.extendedError(e);
    }
    done();
  }

  private extendedError(e: SqlError): void {
    this.send(errorMessage(sqlFields(e)));
    this.skipping = true;
  }

  private rowDescription(cols: readonly ResultColumn[]): Buffer {
    const w = new MessageWriter('T').int16(cols.length);
    for (const c of cols) {
      const { oid, size } = oidOf(c.type);
      w.cstring(c.name).int32(0).int16(0).int32(oid).int16(size).int32(-1).int16(0);
    }
    return w.build();
  }

  private sendRows(cols: readonly ResultColumn[], rows: Outcome['rows']): void {
    for (const r of rows) {
      this.send(dataRow(r.map((v, i) => formatValue(cols[i]?.type ?? 'text', v))));
    }
  }

  private simpleQuery(sql: string, done: () => void): void {
    const finish = (): void => {
      this.send(readyForQuery(this.status()));
      done();
    };
    let stmts: readonly ParsedStatement[];
    try {
      stmts = parseSql(sql);
    } catch (e) {
      if (!(e instanceof SqlError)) throw e;
      this.send(errorMessage(sqlFields(e)));
      finish();
      return;
    }
    if (stmts.length === 0) {
      this.send(empty('I'));
      finish();
      return;
    }
    const session = this.sessionOf();
    const runFrom = (i: number): void => {
      const p = stmts[i];
      if (p === undefined || this.phase === 'closed') {
        finish();
        return;
      }
      session.execute(p, [], (r) => {
        if (!r.ok) {
          this.send(errorMessage(sqlFields(r.error)));
          finish();
          return;
        }
        const o = r.value;
        if (o.columns !== null) {
          this.send(this.rowDescription(o.columns));
          this.sendRows(o.columns, o.rows);
        }
        this.send(commandComplete(o.tag));
        runFrom(i + 1);
      });
    };
    runFrom(0);
  }

  private parse(body: Buffer): void {
    const r = new BodyReader(body);
    const name = r.cstring();
    const sql = r.cstring();
    const n = r.count16(4);
    const oids: number[] = [];
    for (let i = 0; i < n; i++) oids.push(r.int32());
    if (name !== '' && this.statements.has(name)) {
      throw new SqlError(
        SqlState.duplicatePreparedStatement,
        `prepared statement "${name}" already exists`,
      );
    }
    const stmts = parseSql(sql);
    if (stmts.length > 1) {
      throw new SqlError(
        SqlState.syntaxError,
        'cannot insert multiple commands into a prepared statement',
      );
    }
    const parsed = stmts[0] ?? null;
    const count = Math.max(n, parsed === null ? 0 : parameterCount(parsed.stmt));
    const paramOids = Array.from({ length: count }, (_, i) => {
      const o = oids[i] ?? 0;
      return o === 0 ? Oid.text : o;
    });
    this.statements.set(name, { parsed, paramOids });
    this.send(empty('1'));
  }

  private bind(body: Buffer): void {
    const r = new BodyReader(body);
    const portal = r.cstring();
    const stmtName = r.cstring();
    const formats: number[] = [];
    for (let i = 0, n = r.count16(2); i < n; i++) formats.push(r.int16());
    const raw: (Buffer | null)[] = [];
    for (let i = 0, n = r.count16(4); i < n; i++) {
      const len = r.int32();
      raw.push(len === -1 ? null : r.bytes(len));
    }
    const resultFormats: number[] = [];
    for (let i = 0, n = r.count16(2); i < n; i++) resultFormats.push(r.int16());
    const stmt = this.statements.get(stmtName);
    if (stmt === undefined) {
      throw new SqlError(
        SqlState.invalidSqlStatementName,
        `prepared statement "${stmtName}" does not exist`,
      );
    }
    if (raw.length !== stmt.paramOids.length) {
      throw new SqlError(
        SqlState.protocolViolation,
        `bind message supplies ${raw.length} parameters, but prepared statement "${stmtName}" requires ${stmt.paramOids.length}`,
      );
    }
    if (formats.length > 1 && formats.length !== raw.length) {
      throw new SqlError(
        SqlState.protocolViolation,
        `bind message has ${formats.length} parameter formats but ${raw.length} parameters`,
      );
    }
    if (resultFormats.some((f) => f !== 0)) {
      throw new SqlError(
        SqlState.featureNotSupported,
        'binary result format is not supported (text only)',
      );
    }
    const params = raw.map((b, i) => {
      if (b === null) return null;
      const format =
        formats.length === 0 ? 0 : ((formats.length === 1 ? formats[0] : formats[i]) ?? 0);
      if (format === 0) return b.toString('utf8');
      if (format === 1) return binaryParamText(stmt.paramOids[i] ?? Oid.text, b);
      throw new SqlError(SqlState.protocolViolation, `unknown parameter format ${format}`);
    });
    this.portals.set(portal, { stmt, params, result: null });
    this.send(empty('2'));
  }

  private describe(body: Buffer, done: () => void): void {
    const r = new BodyReader(body);
    const what = r.byte();
    const name = r.cstring();
    let stmt: PreparedStmt | undefined;
    let portal: Portal | undefined;
    if (what === 'S') {
      stmt = this.statements.get(name);
      if (stmt === undefined) {
        this.extendedError(
          new SqlError(
            SqlState.invalidSqlStatementName,
            `prepared statement "${name}" does not exist`,
          ),
        );
        done();
        return;
      }
      const w = new MessageWriter('t').int16(stmt.paramOids.length);
      for (const o of stmt.paramOids) w.int32(o);
      this.send(w.build());
    } else if (what === 'P') {
      portal = this.portals.get(name);
      if (portal === undefined) {
        this.extendedError(
          new SqlError(SqlState.invalidCursorName, `portal "${name}" does not exist`),
        );
        done();
        return;
      }
      stmt = portal.stmt;
    } else {
      throw new ProtocolError(`Describe of '${what}'`);
    }
    const parsed = stmt.parsed;
    if (parsed === null) {
      this.send(empty('n'));
      done();
      return;
    }
    const known = portal?.result?.outcome.columns;
    if (known !== undefined) {
      this.send(known === null ? empty('n') : this.rowDescription(known));
      done();
      return;
    }
    this.sessionOf().describe(parsed, (r) => {
      if (!r.ok) this.extendedError(r.error);
      else this.send(r.value === null ? empty('n') : this.rowDescription(r.value));
      done();
    });
  }

  private execute(body: Buffer, done: () => void): void {
    const r = new BodyReader(body);
    const name = r.cstring();
    const maxRows = r.int32();
    const portal = this.portals.get(name);
    if (portal === undefined) {
      this.extendedError(
        new SqlError(SqlState.invalidCursorName, `portal "${name}" does not exist`),
      );
      done();
      return;
    }
    const parsed = portal.stmt.parsed;
    if (parsed === null) {
      this.send(empty('I'));
      done();
      return;
    }
    const deliver = (): void => {
      const res = portal.result;
      if (res === null) return;
      const { outcome } = res;
      const cols = outcome.columns;
      const total = outcome.rows.length;
      const end = maxRows > 0 ? Math.min(total, res.sent + maxRows) : total;
      if (cols !== null) this.sendRows(cols, outcome.rows.slice(res.sent, end));
      res.sent = end;
      if (end < total) this.send(empty('s'));
      else this.send(commandComplete(outcome.tag));
      done();
    };
    if (portal.result !== null) {
      deliver();
      return;
    }
    this.sessionOf().execute(parsed, portal.params, (res) => {
      if (!res.ok) {
        this.extendedError(res.error);
        done();
        return;
      }
      portal.result = { outcome: res.value, sent: 0 };
      deliver();
    });
  }

  private closeObject(body: Buffer): void {
    const r = new BodyReader(body);
    const what = r.byte();
    const name = r.cstring();
    if (what === 'S') this.statements.delete(name);
    else if (what === 'P') this.portals.delete(name);
    else throw new ProtocolError(`Close of '${what}'`);
    this.send(empty('3'));
  }
}
