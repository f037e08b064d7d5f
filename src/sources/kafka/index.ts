// Kafka topics of an external cluster as a Freshet source.
export { KafkaTopicSource, type KafkaTopicSourceStatus } from './kafka-topic-source.js';
export type { KafkaTopicSourceOptions } from './options.js';
export { kafkaEventId } from './event-record.js';
export { BadRecordError, RecordDecoder, type KafkaValueFormat } from './record-decoder.js';
export { avroToJson, avroTypeFor, decimalText, type DecimalFormat } from './avro-json.js';
export { isSchemaPayload, unwrapSchemaPayload } from './debezium.js';
export { avroToJsonSchema } from './avro-json-schema.js';
