import { block, isExpression, soleReference } from '../terraform';
import { COMPLIANT, NOT_APPLICABLE, nonCompliant, type SecurityRule } from '../types';

export const lambdaLogGroupDeclared: SecurityRule = {
  id: 'BYODKIM-LOG2',
  name: 'LambdaLogGroupDeclared',
  severity: 'error',
  rationale:
    'A Lambda function whose log group is not in the configuration gets one created by Lambda at its first ' +
    'run: unencrypted by a customer key, kept forever, and left behind when the stack is destroyed.',
  check(subject, config) {
    if (subject.kind !== 'resource' || subject.type !== 'aws_lambda_function') return NOT_APPLICABLE;
    const logGroup = block(subject.config.logging_config)?.log_group;
    if (logGroup !== undefined) {
      const ref = soleReference(logGroup);
      if (ref?.type === 'aws_cloudwatch_log_group' && config.resolve(ref)) return COMPLIANT;
      if (typeof logGroup === 'string' && !isExpression(logGroup)) {
        const declared = config.resources('aws_cloudwatch_log_group').some((g) => g.config.name === logGroup);
        if (declared) return COMPLIANT;
      }
      return nonCompliant(
        `logging_config.log_group ${JSON.stringify(logGroup)} is not an aws_cloudwatch_log_group of the configuration`,
      );
    }
    const name = subject.config.function_name;
    if (typeof name !== 'string' || isExpression(name)) return NOT_APPLICABLE;
    const expected = `/aws/lambda/${name}`;
    return config.resources('aws_cloudwatch_log_group').some((g) => g.config.name === expected)
      ? COMPLIANT
      : nonCompliant(`no aws_cloudwatch_log_group named ${expected}: declare the function's log group`);
  },
};
