import { asArray, isExpression, type TerraformConfig } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type Json, type SecurityRule, type Subject } from '../types';

const CHATBOT_TYPES = ['aws_chatbot_slack_channel_configuration', 'aws_chatbot_teams_channel_configuration'];

/** Where AWS Chatbot writes a channel configuration's logs, whichever region manages the configuration. */
export const CHATBOT_LOG_REGION = 'us-east-1';

/**
 * The region a resource is created in: its own `region` argument (hashicorp/aws ≥ 6), else its provider's
 * (`provider = "aws.<alias>"`, or the default AWS provider); undefined when that is an expression or unset.
 */
export function regionOf(resource: Subject, config: TerraformConfig): string | undefined {
  const literal = (value: unknown) => (typeof value === 'string' && !isExpression(value) ? value : undefined);
  if (resource.config.region !== undefined) return literal(resource.config.region);
  const alias = /^aws\.(.+)$/.exec(String(resource.config.provider ?? ''))?.[1];
  const providers = asArray<Json>(config.json.provider?.aws);
  const provider = providers.find((p) => (alias === undefined ? p?.alias === undefined : p?.alias === alias));
  return literal(provider?.region);
}

export const chatbotLogGroupDeclared: SecurityRule = {
  id: 'BYODKIM-LOG3',
  name: 'ChatbotLogGroupDeclared',
  severity: 'error',
  rationale:
    'An AWS Chatbot channel with logging_level ERROR or INFO writes to the log group /aws/chatbot/<configuration ' +
    `name> in ${CHATBOT_LOG_REGION}, which Chatbot creates itself when the configuration does not declare it: no ` +
    'retention, no customer key, left behind by a destroy. Declare it in that region (a provider or the resource ' +
    'region for us-east-1; LOG1 and ENC1 then judge its retention and key), or log nothing (NONE).',
  check(subject, config) {
    if (subject.kind !== 'resource' || !CHATBOT_TYPES.includes(subject.type)) return NOT_APPLICABLE;
    const level = subject.config.logging_level ?? 'NONE';
    if (level === 'NONE') return COMPLIANT;
    const name = subject.config.configuration_name;
    if (typeof name !== 'string' || isExpression(name)) return NOT_APPLICABLE;
    const expected = `/aws/chatbot/${name}`;
    const declared = config.resources('aws_cloudwatch_log_group').filter((g) => g.config.name === expected);
    if (declared.length === 0) {
      return nonCompliant(
        `logging_level ${level} writes to ${expected} (${CHATBOT_LOG_REGION}), which the configuration does not ` +
          'declare: declare it with a retention and a customer-managed key, or set logging_level NONE',
      );
    }
    const regions = declared.map((g) => regionOf(g, config));
    if (regions.some((r) => r === CHATBOT_LOG_REGION || r === undefined)) return COMPLIANT;
    return nonCompliant(
      `${expected} is declared in ${regions.join(', ')}, but Chatbot writes it in ${CHATBOT_LOG_REGION}: ` +
        `declare it through a provider (or the resource's region) for ${CHATBOT_LOG_REGION}`,
    );
  },
};
