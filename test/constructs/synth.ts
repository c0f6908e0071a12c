/** Synthesizes constructs the way the tests read them: JSON text for the matchers, parsed for the rest. */
import { Testing, TerraformStack } from 'cdktf';
import 'cdktf/lib/testing/adapters/jest';
import type { Construct } from 'constructs';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';

Testing.setupJest();

export interface Synthesized {
  readonly text: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly json: any;
}

/** Synthesizes what `build` adds to a fresh stack (with an AWS provider, as a real stack has). */
export function synth(build: (scope: Construct) => void): Synthesized {
  const text = Testing.synthScope((scope) => {
    new AwsProvider(scope, 'aws', { region: 'ap-northeast-1' });
    build(scope);
  });
  return { text, json: JSON.parse(text) };
}

/** Synthesizes a stack built by the caller. */
export function synthStack(stack: TerraformStack): Synthesized {
  const text = Testing.synth(stack);
  return { text, json: JSON.parse(text) };
}

/** The only resource of `type`, failing when there are none or several. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function only(json: any, kind: 'resource' | 'data', type: string): any {
  const all = Object.values(json[kind]?.[type] ?? {});
  expect(all).toHaveLength(1);
  return all[0];
}

/** Every key name anywhere in a JSON value (to prove a field never appears). */
export function allKeys(value: unknown, into: Set<string> = new Set()): Set<string> {
  if (Array.isArray(value)) value.forEach((v) => allKeys(v, into));
  else if (value !== null && typeof value === 'object') {
    for (const [key, inner] of Object.entries(value)) {
      into.add(key);
      allKeys(inner, into);
    }
  }
  return into;
}
