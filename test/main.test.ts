import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { synthesize } from '../main';
import { environments } from '../envs';
import type { EnvironmentSource } from '../envs/load';
import { brokenEnvironment } from './envs/fixtures';

describe('main: synthesize', () => {
  let outdir: string;
  beforeEach(() => {
    outdir = mkdtempSync(path.join(tmpdir(), 'byodkim-synth-'));
  });
  afterEach(() => rmSync(outdir, { recursive: true, force: true }));

  it('writes one stack per environment and nothing to stderr', () => {
    const stderr: string[] = [];
    expect(synthesize(environments, { outdir, stderr: (line) => stderr.push(line) })).toBe(0);
    for (const env of ['dev', 'stg', 'prod']) {
      const file = path.join(outdir, 'stacks', `byodkim-${env}`, 'cdk.tf.json');
      expect(JSON.parse(readFileSync(file, 'utf8')).terraform.backend.s3.key).toBe(`byodkim/${env}/terraform.tfstate`);
    }
    expect(stderr).toEqual([]);
  });

  it('prints what is wrong and exits 1, writing nothing, when an environment is invalid', () => {
    const sources: EnvironmentSource[] = [
      environments[0],
      {
        file: 'envs/prod.ts',
        input: brokenEnvironment((e) => {
          e.domains[0].rotation = { renewBeforeDays: 10 };
        }),
      },
    ];
    const stderr: string[] = [];
    expect(synthesize(sources, { outdir, stderr: (line) => stderr.push(line) })).toBe(1);
    const text = stderr.join('\n');
    expect(text).toContain(
      'envs/prod.ts: domains[0].rotation.renewBeforeDays: must be greater than dns.leadTimeDays + 3 = 17 in external mode',
    );
    expect(text).toMatch(/; given 10$/m);
    expect(text).not.toMatch(/^\s+at /m);
    expect(existsSync(path.join(outdir, 'stacks'))).toBe(false);
  });

  it('reports two environments that share a state file', () => {
    const stderr: string[] = [];
    const copy = { file: 'envs/dev-copy.ts', input: environments[0].input };
    expect(synthesize([environments[0], copy], { outdir, stderr: (l) => stderr.push(l) })).toBe(1);
    expect(stderr.join('\n')).toContain('envs/dev-copy.ts: environment: is already the environment of envs/dev.ts');
    expect(stderr.join('\n')).toContain(
      'envs/dev-copy.ts: backend.key: is already the state of envs/dev.ts (s3://byodkim-tfstate-111111111111/byodkim/dev/terraform.tfstate)',
    );
  });

  it('prints warnings and still synthesizes', () => {
    const input = brokenEnvironment((e) => {
      e.domains[1].keyBits = 1024;
    });
    const stderr: string[] = [];
    expect(synthesize([{ file: 'envs/prod.ts', input }], { outdir, stderr: (l) => stderr.push(l) })).toBe(0);
    expect(stderr).toEqual([expect.stringMatching(/^warning: envs\/prod\.ts: domains\[1\]\.keyBits: 1024-bit keys/)]);
  });
});
