// Confluent's TopicNameStrategy, the default of its serializers: a topic's values are governed
// by the subject "<topic>-value" (and its keys by "<topic>-key"). Using the same names lets a
// Confluent serializer, or an external registry, find Freshet's schemas where it expects them.

/** @example subjectForTopic('pos.transactions') // 'pos.transactions-value' */
export function subjectForTopic(topic: string): string {
  return `${topic}-value`;
}

/** @example keySubjectForTopic('pos.transactions') // 'pos.transactions-key' */
export function keySubjectForTopic(topic: string): string {
  return `${topic}-key`;
}
