import { isExpression } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

const CHATBOT_TYPES = ['aws_chatbot_slack_channel_configuration', 'aws_chatbot_teams_channel_configuration'];

export const chatbotLogGroupDeclared: SecurityRule = {
  id: 'BYODKIM-LOG3',
  name: 'ChatbotLogGroupDeclared',
  severity: 'warning',
  rationale:
    'An AWS Chatbot channel with logging_level ERROR or INFO writes to the log group /aws/chatbot/<configuration ' +
    'name> in us-east-1, which Chatbot creates itself when the configuration does not declare it: no retention, ' +
    'no customer key, left behind by a destroy. Declare it (with a us-east-1 provider), or log nothing (NONE).',
  check(subject, config) {
    if (subject.kind !== 'resource' || !CHATBOT_TYPES.includes(subject.type)) return NOT_APPLICABLE;
    const level = subject.config.logging_level ?? 'NONE';
    if (level === 'NONE') return COMPLIANT;
    const name = subject.config.configuration_name;
    if (typeof name !== 'string' || isExpression(name)) return NOT_APPLICABLE;
    const expected = `/aws/chatbot/${name}`;
    return config.resources('aws_cloudwatch_log_group').some((g) => g.config.name === expected)
      ? COMPLIANT
      : nonCompliant(
          `logging_level ${level} writes to ${expected} (us-east-1), which the configuration does not declare: ` +
            'declare it with a retention and a customer-managed key, or set logging_level NONE',
        );
  },
};
