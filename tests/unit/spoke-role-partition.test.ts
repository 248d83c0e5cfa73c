/** The spoke role the hub assumes is named in the scope's own ARN partition (China and GovCloud are not `aws`). */
import { partitionOf } from '../../shared/aws/spoke-clients';

describe('the partition of a spoke role ARN', () => {
  it('follows the Region: aws-cn in China, aws-us-gov in GovCloud, aws elsewhere', () => {
    expect(['eu-west-1', 'cn-north-1', 'cn-northwest-1', 'us-gov-west-1', 'us-east-1'].map(partitionOf)).toEqual([
      'aws',
      'aws-cn',
      'aws-cn',
      'aws-us-gov',
      'aws',
    ]);
  });
});
