/**
 * Retired: the security rules are the pack in constructs/security (docs/security.md). This file only
 * forwards to it for test files written before the move; import from '../../constructs/security'
 * instead. It will be deleted once nothing imports it.
 */
import { checkTerraform, type Finding, type Json } from '../../constructs/security';

export { parseRenderedPolicy, type Json } from '../../constructs/security';

/** The pack's findings over a synthesized stack (`checkTerraform(json).findings`). */
export function checkStack(stack: Json): readonly Finding[] {
  return checkTerraform(stack).findings;
}
