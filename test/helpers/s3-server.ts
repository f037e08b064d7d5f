import net from 'node:net';

/**
 * The S3-compatible server the tests use (moto on loopback, started by `scripts/services start`;
 * FRESHET_TEST_S3_ENDPOINT points elsewhere), and whether it answers.
 */
export const S3_ENDPOINT = process.env.FRESHET_TEST_S3_ENDPOINT ?? 'http://127.0.0.1:9000';
export const S3_CREDENTIALS = { accessKeyId: 'freshet-test', secretAccessKey: 'freshet-test' };

export function s3ServerUp(endpoint = S3_ENDPOINT): Promise<boolean> {
  const { hostname, port } = new URL(endpoint);
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port || 80) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
    socket.once('error', () => resolve(false));
  });
}
