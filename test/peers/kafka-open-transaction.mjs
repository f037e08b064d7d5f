// Begins a Kafka transaction, sends one record in it, and dies without ending it, as a producer
// killed with SIGKILL mid-transaction would: node test/peers/kafka-open-transaction.mjs BROKER TOPIC TXID
import { Producer, ProduceAcks } from '@platformatic/kafka';

const [broker, topic, transactionalId] = process.argv.slice(2);
const producer = new Producer({
  clientId: 'freshet-test-open-tx',
  bootstrapBrokers: [broker],
  idempotent: true,
  acks: ProduceAcks.ALL,
  producerId: -1n,
  producerEpoch: -1,
  transactionalId,
});
const tx = await producer.beginTransaction();
await tx.send({
  messages: [{ topic, key: Buffer.from('orphan'), value: Buffer.from('never committed') }],
});
process.stdout.write('open\n');
process.exit(9);
