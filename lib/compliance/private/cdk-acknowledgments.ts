/**
 * The one Stack-wide acknowledgment aws-cdk-lib records itself (`Stack` reading
 * `availabilityZones`, as every `ec2.Vpc` does): cfn-lint's W3010 warns about literal AZ names,
 * which a Stack with a known Region resolves on purpose.
 */
export const CDK_LITERAL_AZ_ACKNOWLEDGMENT = {
  findingId: 'CloudFormation-Validate::W3010',
  reason: 'Literal AZs in template are the result of accessing stack.availabilityZones, this is expected and safe',
};
