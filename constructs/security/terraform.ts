/**
 * A synthesized Terraform configuration as the rules read it: every part of it as a {@link Subject}, lookup by
 * reference (`${aws_kms_key.Key_1A2B.arn}` → that resource), and the options of the check (production or
 * not). Nothing here knows cdktf: the input is plain JSON, `stack.toTerraform()` or a `cdk.tf.json` file.
 */
import type { Json, Subject } from './types';

/** A Terraform reference inside a string: `${aws_x.name.attr}` or `${data.aws_x.name.attr}`. */
export interface Reference {
  readonly kind: 'resource' | 'data';
  readonly type: string;
  readonly name: string;
  /** The attribute read, e.g. `arn` (empty when the whole object is referenced). */
  readonly attribute: string;
}

const REFERENCE = /(?:^|[^\w.])(data\.)?([a-z][a-z0-9]*_[a-z0-9_]+)\.([A-Za-z_][\w-]*)(?:\.([A-Za-z_]\w*))?/g;

/** Every resource or data source reference inside the `${…}` parts of a string. */
export function referencesIn(text: string): Reference[] {
  const found: Reference[] = [];
  for (const [, inner] of text.matchAll(/\$\{([^}]*)\}/g)) {
    for (const m of inner.matchAll(REFERENCE)) {
      if (!m[1] && ['var', 'local', 'module', 'each', 'count', 'path', 'terraform', 'self'].includes(m[2])) continue;
      found.push({ kind: m[1] ? 'data' : 'resource', type: m[2], name: m[3], attribute: m[4] ?? '' });
    }
  }
  return found;
}

/** The only reference a value is made of (`${aws_kms_key.k.arn}`, nothing around it), or undefined. */
export function soleReference(value: unknown): Reference | undefined {
  if (typeof value !== 'string' || !/^\$\{[^}]*\}$/.test(value)) return undefined;
  const refs = referencesIn(value);
  return refs.length === 1 ? refs[0] : undefined;
}

/** Whether a value is, or contains, an expression Terraform computes (`${…}`). */
export const isExpression = (value: unknown): boolean => typeof value === 'string' && value.includes('${');

export const asArray = <T>(value: T | readonly T[] | undefined | null): T[] =>
  value === undefined || value === null ? [] : Array.isArray(value) ? [...value] : [value as T];

/** A nested block as cdktf renders it: an object, or a list of one (older providers). */
export const block = (value: Json): Json => (Array.isArray(value) ? value[0] : value);

export interface CheckOptions {
  /**
   * Whether the stack is a production environment (the deletion-protection rule applies only then).
   * @default inferred: the AWS provider's default tag `Environment` is `prod`, `prd` or `production`
   */
  readonly production?: boolean;
}

const TOP_LEVEL_BLOCKS = ['terraform', 'provider', 'output', 'variable', 'locals', 'module', 'moved', 'import'];

export class TerraformConfig {
  public readonly json: Json;
  /** Every resource, data source and ephemeral resource, then every other top-level block. */
  public readonly subjects: readonly Subject[];
  /** Whether the deletion-protection rules apply. */
  public readonly production: boolean;

  constructor(json: Json, options: CheckOptions = {}) {
    if (json === null || typeof json !== 'object' || Array.isArray(json)) {
      throw new TypeError(
        `the security pack checks synthesized Terraform JSON (an object with resource, data, terraform, …); given ${
          json === null ? 'null' : Array.isArray(json) ? 'an array' : typeof json
        }`,
      );
    }
    this.json = json;
    const subjects: Subject[] = [];
    for (const kind of ['resource', 'data', 'ephemeral'] as const) {
      for (const [type, byName] of Object.entries((json[kind] ?? {}) as Record<string, Record<string, Json>>)) {
        for (const [name, config] of Object.entries(byName)) {
          const address = kind === 'resource' ? `${type}.${name}` : `${kind}.${type}.${name}`;
          subjects.push({ kind, type, name, address, config });
        }
      }
    }
    for (const key of TOP_LEVEL_BLOCKS) {
      const value = json[key];
      if (value === undefined) continue;
      if (key === 'terraform' || key === 'locals' || value === null || typeof value !== 'object') {
        subjects.push({ kind: 'block', type: key, name: key, address: key, config: value });
      } else {
        for (const [name, config] of Object.entries(value as Record<string, Json>)) {
          subjects.push({ kind: 'block', type: key, name, address: `${key}.${name}`, config });
        }
      }
    }
    this.subjects = subjects;
    this.production = options.production ?? this.environmentTag() !== undefined;
  }

  /** The configuration of a resource (or data source, with `kind: 'data'`), or undefined. */
  public find(kind: 'resource' | 'data', type: string, name: string): Json | undefined {
    return this.json[kind]?.[type]?.[name];
  }

  /** The resource or data source a reference names, as a subject, or undefined when it is not in the stack. */
  public resolve(reference: Reference): Subject | undefined {
    const config = this.find(reference.kind, reference.type, reference.name);
    if (config === undefined) return undefined;
    const address =
      reference.kind === 'resource'
        ? `${reference.type}.${reference.name}`
        : `data.${reference.type}.${reference.name}`;
    return { kind: reference.kind, type: reference.type, name: reference.name, address, config };
  }

  /** Every resource of a type, as subjects. */
  public resources(type: string): Subject[] {
    return this.subjects.filter((s) => s.kind === 'resource' && s.type === type);
  }

  /** The production value of the AWS provider's default `Environment` tag, when it has one. */
  private environmentTag(): string | undefined {
    const providers = asArray<Json>(this.json.provider?.aws);
    for (const provider of providers) {
      for (const defaults of asArray<Json>(provider?.default_tags)) {
        const value = defaults?.tags?.Environment;
        if (typeof value === 'string' && /^(prod|prd|production)$/i.test(value)) return value;
      }
    }
    return undefined;
  }
}

/** Where cdktf says a subject came from (`byodkim-prod/DkimRotation/WorkerRole`), when it says. */
export function constructPath(subject: Subject): string | undefined {
  const path = subject.config?.['//']?.metadata?.path;
  return typeof path === 'string' ? path : undefined;
}
