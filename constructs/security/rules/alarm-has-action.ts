import { asArray } from '../terraform';
import { NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

const ALARM_TYPES = ['aws_cloudwatch_metric_alarm', 'aws_cloudwatch_composite_alarm'];

export const alarmHasAction: SecurityRule = {
  id: 'BYODKIM-ALM1',
  name: 'AlarmHasAction',
  severity: 'error',
  rationale:
    'An alarm without an action changes state in the console and tells no one: the DKIM failure it was made ' +
    'to catch reaches recipients first. Every alarm notifies (alarm_actions) with its actions enabled.',
  check(subject) {
    if (subject.kind !== 'resource' || !ALARM_TYPES.includes(subject.type)) return NOT_APPLICABLE;
    const reasons: string[] = [];
    if (asArray(subject.config.alarm_actions).length === 0) reasons.push('alarm_actions is empty: no one is told');
    if (subject.config.actions_enabled === false) reasons.push('actions_enabled is false: its actions never run');
    return nonCompliant(...reasons);
  },
};
