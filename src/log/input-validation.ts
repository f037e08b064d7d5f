// Checks on what callers hand to the log, done before anything is written.

import { InvalidRecordError, InvalidTopicError } from './errors.js';
import type { LogRecord } from './log.js';
import type { RecordFields } from './record-codec.js';

/** Kafka's rule, so every topic here can exist in Kafka under the same name. */
const TOPIC_NAME = /^[a-zA-Z0-9._-]{1,249}$/;

export function validateTopicName(topic: string): void {
  if (typeof topic !== 'string' || !TOPIC_NAME.test(topic)) {
    throw new InvalidTopicError(
      topic,
      'use 1 to 249 characters from a-z A-Z 0-9 . _ - (the names Kafka accepts)',
    );
  }
  if (topic.startsWith('.')) {
    throw new InvalidTopicError(topic, 'names starting with "." are reserved for Freshet files');
  }
}

/** The record's fields as they will be stored, with the default timestamp `now` filled in. */
export function checkRecord(topic: string, rec: LogRecord | undefined, now: number): RecordFields {
  if (rec === null || typeof rec !== 'object') {
    throw new InvalidRecordError(topic, 'each record must be an object');
  }
  if (rec.key !== null && typeof rec.key !== 'string') {
    throw new InvalidRecordError(topic, 'key must be a string or null');
  }
  if (!Buffer.isBuffer(rec.value)) {
    throw new InvalidRecordError(topic, 'value must be a Buffer (encode it first)');
  }
  const headers = rec.headers ?? {};
  if (typeof headers !== 'object' || headers === null) {
    throw new InvalidRecordError(topic, 'headers must be an object of strings');
  }
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value !== 'string') {
      throw new InvalidRecordError(topic, `header ${JSON.stringify(name)} must be a string`);
    }
  }
  const timestamp = rec.timestamp ?? now;
  if (!Number.isSafeInteger(timestamp)) {
    throw new InvalidRecordError(topic, `timestamp must be integer milliseconds, got ${timestamp}`);
  }
  return { key: rec.key, value: rec.value, headers, timestamp };
}
