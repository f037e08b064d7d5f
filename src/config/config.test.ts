import { describe, expect, it } from 'vitest';
import { ConfigError, defaultConfig, validateConfig } from './config.js';

describe('configuration', () => {
  it('has embedded defaults that need nothing else', () => {
    const c = validateConfig(defaultConfig());
    expect(c).toMatchObject({
      dataDir: './freshet-data',
      serve: { port: 8080, host: '127.0.0.1' },
      simulator: { enabled: true, stores: 800, skus: 3000, seed: 42 },
      log: { fsync: 'always' },
    });
    expect(c.projectDir).toMatch(/project$/);
  });

  it('names the setting and the allowed range when a value is out of range', () => {
    const bad = (edit: (c: ReturnType<typeof defaultConfig>) => void) => {
      const c = defaultConfig();
      edit(c);
      return () => validateConfig(c);
    };
    expect(bad((c) => (c.serve.port = 70_000))).toThrow(
      /--port must be an integer from 0 to 65535, got 70000/,
    );
    expect(bad((c) => (c.simulator.rate = 0))).toThrow(
      /--rate must be a number of events per second above 0/,
    );
    expect(bad((c) => (c.simulator.stores = 1.5))).toThrow(ConfigError);
    expect(bad((c) => (c.log.partitions = 0))).toThrow(/--partitions/);
    expect(bad((c) => (c.pipeline.modelIntervalMs = 1))).toThrow(
      /--model-interval must be a number of milliseconds from 10/,
    );
  });
});
