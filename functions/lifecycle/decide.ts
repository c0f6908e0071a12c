// Transitional: the chain moves here from policy.ts (issue 11, policies one per file).
export { decide, POLICIES } from './policy';
