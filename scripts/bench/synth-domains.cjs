// Bench entry: validates an environment with N domains (route53, external and delegated in turn) and
// synthesizes its stack from the compiled constructs in dist/. Usage: node synth-domains.cjs <N> <outdir>
const path = require('node:path');

const root = path.resolve(__dirname, '..', '..');
const { App } = require('cdktf');
const { ByodkimStack } = require(path.join(root, 'dist', 'main.js'));
const { loadEnvironments } = require(path.join(root, 'dist', 'envs', 'load.js'));

const count = Number(process.argv[2]);
const outdir = process.argv[3];
if (!Number.isInteger(count) || count < 1 || !outdir) {
  console.error('usage: node synth-domains.cjs <domains> <outdir>');
  process.exit(2);
}

const tlds = ['example.com', 'example.net', 'example.org'];
const domains = Array.from({ length: count }, (_, i) => {
  const domain = `d${i}.${tlds[i % 3]}`;
  switch (i % 3) {
    case 0:
      return { domain, dns: { kind: 'route53', hostedZoneId: `Z${String(i).padStart(20, '0')}` } };
    case 1:
      return { domain, dns: { kind: 'external', contacts: ['dns-team@example.com'] } };
    default:
      return { domain, dns: { kind: 'delegated', zoneName: `dkim${i}.example.net`, contacts: ['dns@example.org'] } };
  }
});

const { environments } = loadEnvironments([
  {
    file: `bench/${count}-domains`,
    input: {
      project: 'byodkim',
      environment: 'bench',
      aws: { accountId: '111111111111', region: 'ap-northeast-1' },
      backend: { bucket: 'byodkim-tfstate-111111111111' },
      notifications: { emails: ['dkim-ops@example.com'] },
      domains,
    },
  },
]);
const app = new App({ outdir });
new ByodkimStack(app, 'byodkim-bench', { config: environments[0].config });
app.synth();
