import { App, TerraformStack } from 'cdktf';
import { AwsProvider } from '@cdktf/provider-aws/lib/provider';
const app = new App();
const s = new TerraformStack(app, 'byodkim-dev');
new AwsProvider(s, 'aws', { region: 'ap-northeast-1' });
app.synth();
