// Turns change events into log records: registers each table shape's schema (a new shape is a new
// version), validates events against it, frames them, and sends what cannot be converted or
// validated to the quarantine topic with the reason (invariant 4: never dropped silently).

import type { LogRecord } from '../../log/index.js';
import type { Metrics } from '../../observe/index.js';
import {
  encodeWire,
  subjectForTopic,
  type CompatibilityLevel,
  type SchemaRegistry,
} from '../../registry/index.js';
import type { ChangeEvent } from './envelope.js';
import { envelopeSchema, qualifiedName, type TableModel } from './table-model.js';

/** Topic where events that cannot be converted or validated are kept, with the reason. */
export const PG_QUARANTINE_TOPIC = 'freshet.quarantine';

/** What a table shape needs to be registered: its name (for messages) and its schema. */
export interface ShapeModel {
  schema: string;
  table: string;
}

/** A table shape as registered: where its events go and under which schema id. */
export interface RegisteredShape<M extends ShapeModel = TableModel> {
  model: M;
  topic: string;
  subject: string;
  schemaId: number;
  /** Whether this shape is the subject's latest schema (the registry validates against the latest). */
  validate: boolean;
}

export interface EventRecordsOptions<M extends ShapeModel = TableModel> {
  sourceName: string;
  /** The JSON Schema text of a shape's events (default: PostgreSQL's envelope of a TableModel). */
  envelopeSchema?: (model: M) => string;
  registry: SchemaRegistry;
  metrics?: Metrics;
  schemaCompatibility: CompatibilityLevel | null;
  wireFormat: boolean;
  onProgress?: (message: string) => void;
}

/** Records by topic, as one append takes them. */
export type RecordsByTopic = Map<string, LogRecord[]>;

export function addRecord(records: RecordsByTopic, topic: string, record: LogRecord): void {
  const list = records.get(topic);
  if (list) list.push(record);
  else records.set(topic, [record]);
}

export class EventRecords<M extends ShapeModel = TableModel> {
  /** subject → schema text → id and whether it is the latest, so only new shapes register. */
  private readonly known = new Map<string, Map<string, { id: number; latest: boolean }>>();
  rejected = 0;

  constructor(private readonly opts: EventRecordsOptions<M>) {}

  /** Registers the model's envelope schema (once per shape). */
  async shape(topic: string, model: M): Promise<RegisteredShape<M>> {
    const subject = subjectForTopic(topic);
    const schema = this.opts.envelopeSchema
      ? this.opts.envelopeSchema(model)
      : envelopeSchema(model as unknown as TableModel);
    let bySchema = this.known.get(subject);
    if (!bySchema) this.known.set(subject, (bySchema = new Map()));
    let entry = bySchema.get(schema);
    if (!entry) {
      const { registry } = this.opts;
      const level = this.opts.schemaCompatibility;
      if (level && (await registry.getCompatibility(subject)) === null) {
        await registry.setCompatibility(level, subject);
      }
      const registered = await registry.register(subject, { schemaType: 'JSON', schema });
      const latest = await registry.latest(subject);
      for (const e of bySchema.values()) e.latest = false;
      entry = { id: registered.id, latest: latest?.id === registered.id };
      bySchema.set(schema, entry);
      if (registered.version > 1 && entry.latest) {
        this.opts.onProgress?.(
          `${this.opts.sourceName}: ${qualifiedName(model)} changed shape; ${subject} version ${registered.version}`,
        );
      }
    }
    return { model, topic, subject, schemaId: entry.id, validate: entry.latest };
  }

  /** Validates an event against its shape's schema and adds it, or its quarantine record. */
  async add(
    records: RecordsByTopic,
    shape: RegisteredShape<M>,
    key: string | null,
    event: ChangeEvent | { source: { ts_ms: number } },
    id: string,
  ): Promise<void> {
    if (shape.validate) {
      const verdict = await this.opts.registry.validate(shape.subject, event);
      if (!verdict.ok) {
        this.quarantine(records, shape.topic, key, id, new Error(verdict.errors.join('; ')), event);
        return;
      }
    }
    const value = Buffer.from(JSON.stringify(event));
    addRecord(records, shape.topic, {
      key,
      value: this.opts.wireFormat ? encodeWire(shape.schemaId, value) : value,
      headers: {
        'freshet.source': this.opts.sourceName,
        'freshet.event-id': id,
        'freshet.schema-id': String(shape.schemaId),
      },
      timestamp: event.source.ts_ms,
    });
  }

  /** Debezium's tombstone after a delete: the key with no value (an empty buffer, marked). */
  tombstone(records: RecordsByTopic, topic: string, key: string, id: string): void {
    addRecord(records, topic, {
      key,
      value: Buffer.alloc(0),
      headers: {
        'freshet.source': this.opts.sourceName,
        'freshet.event-id': `${id}:tombstone`,
        'freshet.tombstone': 'true',
      },
    });
  }

  /** Keeps what could not become an event in the quarantine topic, with the reason. */
  quarantine(
    records: RecordsByTopic,
    topic: string,
    key: string | null,
    id: string,
    err: unknown,
    value: unknown,
  ): void {
    this.rejected++;
    this.opts.metrics?.eventsRejected.inc({ topic });
    addRecord(records, PG_QUARANTINE_TOPIC, {
      key,
      value: Buffer.from(JSON.stringify(value)),
      headers: {
        'freshet.source': this.opts.sourceName,
        'freshet.event-id': id,
        'freshet.topic': topic,
        'freshet.error': err instanceof Error ? err.message : String(err),
      },
    });
  }
}
