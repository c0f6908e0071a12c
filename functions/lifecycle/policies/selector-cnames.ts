import { relativeRecordName } from '../../core/names';
import type { DomainSpec } from '../../core/spec';
import type { SlotProblem } from '../notifications';
import { lookupName, slotSelector, slotTarget, type Observations } from '../observations';

/**
 * Part of `requestDelegation`. Delegated mode: what the DNS team's two selector CNAMEs look like — complete
 * (both slots resolve through their CNAMEs everywhere), and each problem to tell the team about.
 */
export function selectorCnames(spec: DomainSpec, obs: Observations): { complete: boolean; problems: SlotProblem[] } {
  const problems: SlotProblem[] = [];
  let complete = true;
  const slots = ([1, 2] as const).map((slot) => {
    const name = lookupName(spec, slotSelector(spec, slot));
    const observation = obs.records[name];
    const doubled = (observation?.doubled ?? []).find(
      (a) => a.outcome === 'answer' && (a.cnameChain.length > 0 || a.records.length > 0),
    );
    return { slot, name, answers: observation?.answers ?? [], doubled };
  });
  // The team has set something up (so a slot with nothing at its name is a mistake, not "not yet").
  const teamActed = slots.some((s) => s.doubled || s.answers.some((a) => a.cnameChain.length > 0));
  for (const { slot, name, answers, doubled } of slots) {
    const expectedTarget = slotTarget(spec, slot);
    if (answers.length === 0 || !answers.every((a) => a.cnameChain[0] === expectedTarget)) complete = false;
    const wrong = answers.find((a) => a.cnameChain.length > 0 && a.cnameChain[0] !== expectedTarget);
    const absent =
      answers.length > 0 &&
      answers.every((a) => (a.outcome === 'nxdomain' || a.outcome === 'nodata') && !a.cnameChain.length);
    if (wrong) {
      const found = `CNAME ${wrong.cnameChain[0]}.`;
      problems.push({ name, expectedTarget, found: { en: found, ja: found } });
    } else if (answers.some((a) => a.outcome === 'answer' && a.cnameChain.length === 0)) {
      problems.push({
        name,
        expectedTarget,
        found: { en: 'a TXT record instead of a CNAME', ja: 'CNAME ではなく TXT レコード' },
      });
    } else if (absent && doubled) {
      const at = `${name}.${spec.domain}`;
      const selector = slotSelector(spec, slot);
      problems.push({
        name,
        expectedTarget,
        code: 'domain-appended-twice',
        found: {
          en: `nothing at ${name}, but a CNAME at ${at}: the full name was entered in a zone that appends the domain again. Enter the name as "${relativeRecordName(selector)}" (relative) or "${name}." with a trailing dot, and remove the record at ${at}.`,
          ja: `${name} には何もなく、${at} に CNAME があります。ドメイン名を自動で付加するゾーンに完全な名前を入力したため、ドメインが二重になっています。名前は「${relativeRecordName(selector)}」（相対名）または末尾にドットを付けた「${name}.」で登録し、${at} のレコードは削除してください。`,
        },
      });
    } else if (absent && teamActed) {
      problems.push({
        name,
        expectedTarget,
        code: 'no-record',
        found: {
          en: `no CNAME (the name does not exist): this slot's CNAME is missing; please add it as well.`,
          ja: `CNAME がありません（名前が存在しません）。このスロットの CNAME が未登録です。追加してください。`,
        },
      });
    }
  }
  return { complete, problems };
}
