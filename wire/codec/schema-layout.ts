// The tables of schemas/tessera.fbs as data, for the frame verifier (verify-frame.ts): the
// FlatBuffers TypeScript runtime has no verifier, so ours walks a frame guided by these layouts.
//
// A field's vtable slot is its declaration index in the .fbs (no `id:` attributes are used); a
// union field takes two slots, `<name>_type` then `<name>`. schema-layout.test.ts parses the .fbs
// and checks every layout here against it, so the two cannot drift apart.

import { Status as WireStatus, OpKind, PutMode, EventKind } from '../../schemas/generated/tessera_generated';
import { opsPerRequestMax, scanLimitMax } from '../../engine/layout/limits';
import { Status } from '../../engine/layout/status';

/** All frames in both directions end their FlatBuffer header with this identifier. */
export const frameIdentifier = 'TSR1';

export type FieldKind =
  | 'bool'
  | 'enum' // ubyte with a largest valid value
  | 'uint32'
  | 'uint64'
  | 'int64'
  | 'float64'
  | 'string'
  | 'bytes' // [ubyte]
  | 'table'
  | 'tables' // [Table]
  | 'union-type'
  | 'union';

export interface FieldLayout {
  readonly name: string;
  /** `Table.field`, for failure messages (built once here, not per frame). */
  readonly path: string;
  readonly kind: FieldKind;
  readonly required: boolean;
  /** enum and union-type: the largest valid value. */
  readonly enumMax: number;
  /** table and tables: the layout of the referenced table. */
  readonly table: TableLayout | null;
  /** union: the member layouts, index = union type value; index 0 (NONE) is null. */
  readonly members: readonly (TableLayout | null)[];
  /** tables: the most elements allowed, and the status a longer vector earns. */
  readonly lengthMax: number;
  readonly lengthStatus: Status;
}

export interface TableLayout {
  readonly name: string;
  readonly fields: readonly FieldLayout[];
}

interface FieldOptions {
  required?: boolean;
  enumMax?: number;
  table?: TableLayout;
  members?: readonly (TableLayout | null)[];
  lengthMax?: number;
  lengthStatus?: Status;
}

type FieldSpec = Omit<FieldLayout, 'path'>;

function field(name: string, kind: FieldKind, options: FieldOptions = {}): FieldSpec {
  return {
    name,
    kind,
    required: options.required ?? false,
    enumMax: options.enumMax ?? 0,
    table: options.table ?? null,
    members: options.members ?? [],
    lengthMax: options.lengthMax ?? Number.MAX_SAFE_INTEGER,
    lengthStatus: options.lengthStatus ?? Status.MalformedRequest,
  };
}

function table(name: string, fields: readonly FieldSpec[]): TableLayout {
  return { name, fields: fields.map((spec) => ({ ...spec, path: `${name}.${spec.name}` })) };
}

/** The largest value of a numeric TypeScript enum (generated enums have only numeric members). */
function enumMaxOf(enumObject: Record<string, string | number>): number {
  let max = 0;
  for (const value of Object.values(enumObject)) {
    if (typeof value === 'number' && value > max) max = value;
  }
  return max;
}

const statusMax = enumMaxOf(WireStatus);

export const opLayout: TableLayout = table('Op', [
  field('kind', 'enum', { enumMax: enumMaxOf(OpKind) }),
  field('ns', 'string'),
  field('key', 'bytes'),
  field('value', 'bytes'),
  field('mode', 'enum', { enumMax: enumMaxOf(PutMode) }),
  field('if_generation', 'uint32'),
  field('ttl', 'int64'),
  field('content_type', 'string'),
  field('prefix', 'bytes'),
  field('limit', 'uint32'),
  field('cursor', 'string'),
  field('values', 'bool'),
  field('sub_id', 'uint32'),
  field('from_lsn', 'uint64'),
  field('tags', 'string'),
]);

export const requestLayout: TableLayout = table('Request', [
  field('id', 'uint64'),
  field('ops', 'tables', {
    required: true,
    table: opLayout,
    // Checked before any op is looked at, so a frame of a million tiny ops costs nothing.
    lengthMax: opsPerRequestMax,
    lengthStatus: Status.TooManyOps,
  }),
]);

/**
 * Request with only its id: the verifier ignores fields a layout does not list, so this checks
 * just enough to read the id of a request that failed full verification, to answer it by id.
 */
export const requestIdLayout: TableLayout = table('Request', [field('id', 'uint64')]);

export const scannedRecordLayout: TableLayout = table('ScannedRecord', [
  field('key', 'bytes', { required: true }),
  field('value', 'bytes'),
  field('generation', 'uint32'),
  field('expiry', 'uint32'),
  field('last_modified', 'float64'),
  field('content_type', 'string'),
]);

export const resultLayout: TableLayout = table('Result', [
  field('status', 'enum', { enumMax: statusMax }),
  field('generation', 'uint32'),
  field('expiry', 'uint32'),
  field('last_modified', 'float64'),
  field('content_type', 'string'),
  field('value', 'bytes'),
  field('created', 'bool'),
  field('records', 'tables', { table: scannedRecordLayout, lengthMax: scanLimitMax }),
  field('cursor', 'string'),
  field('message', 'string'),
  field('deleted', 'uint32'),
]);

export const responseLayout: TableLayout = table('Response', [
  field('id', 'uint64'),
  field('status', 'enum', { enumMax: statusMax }),
  field('message', 'string'),
  field('results', 'tables', { table: resultLayout, lengthMax: opsPerRequestMax }),
]);

export const eventLayout: TableLayout = table('Event', [
  field('sub_id', 'uint32'),
  field('lsn', 'uint64'),
  field('kind', 'enum', { enumMax: enumMaxOf(EventKind) }),
  field('namespace', 'string'),
  field('key', 'bytes'),
  field('generation', 'uint32'),
  field('expiry', 'uint32'),
  field('last_modified', 'float64'),
  field('content_type', 'string'),
  field('value', 'bytes'),
  field('oldest_lsn', 'uint64'),
  field('tags', 'string'),
]);

/**
 * Events in one EventBatch frame. The server sends at most this many (encode-event.ts); a client
 * refuses a frame with more, so a batch cannot make it allocate without bound.
 */
export const eventsPerBatchMax = 1024;

export const eventBatchLayout: TableLayout = table('EventBatch', [
  field('events', 'tables', { required: true, table: eventLayout, lengthMax: eventsPerBatchMax }),
]);

/** Union ServerMessage { Response, Event, EventBatch }: type 1 is Response, 2 Event, 3 EventBatch. */
const serverMessageMembers: readonly (TableLayout | null)[] = [null, responseLayout, eventLayout, eventBatchLayout];

export const serverFrameLayout: TableLayout = table('ServerFrame', [
  field('message_type', 'union-type', { enumMax: serverMessageMembers.length - 1 }),
  field('message', 'union', { required: true, members: serverMessageMembers }),
]);

/** Every table layout, for the test that compares them with the .fbs. */
export const tableLayouts: readonly TableLayout[] = [
  opLayout,
  requestLayout,
  scannedRecordLayout,
  resultLayout,
  responseLayout,
  eventLayout,
  eventBatchLayout,
  serverFrameLayout,
];
