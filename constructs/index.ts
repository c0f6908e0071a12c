/**
 * The public constructs: import them from another CDKTF stack with
 * `import { ByodkimDomain, KeyStoreKey } from 'byodkim/constructs'` (or a relative path).
 */
export * from './aws-context';
export * from './byodkim-domain';
export * from '../functions/core/domain-rules';
export * from './key-store-key';
