/**
 * The GitHub workflows, parsed and checked: what triggers them, what they may do, that every action is
 * pinned to a commit, that pull requests run the tests and plan every environment envs/ defines with
 * the plan posted as a comment, and that deploys apply the plan they made, prod only by hand.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { environments } from '../../envs';

const ROOT = path.resolve(__dirname, '..', '..');
const ENVS = environments.map((e) => path.basename(e.file, '.ts'));

interface Step {
  name?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string | string[];
  environment?: string;
  permissions?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown>; 'max-parallel'?: number };
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  permissions: Record<string, string>;
  jobs: Record<string, Job>;
}

function load(name: string): { text: string; workflow: Workflow } {
  const text = readFileSync(path.join(ROOT, '.github', 'workflows', name), 'utf8');
  return { text, workflow: parse(text) as Workflow };
}

const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job) => job.steps.map((s) => s.uses ?? '').filter(Boolean);

describe.each(['plan.yml', 'deploy.yml'])('%s', (file) => {
  const { text, workflow } = load(file);

  it('pins every action to a full commit SHA with its version in a comment', () => {
    const lines = text.split('\n').filter((l) => /^\s*-?\s*uses:/.test(l));
    expect(lines.length).toBeGreaterThan(3);
    for (const line of lines) expect(line).toMatch(/uses: [\w.-]+\/[\w.-]+@[0-9a-f]{40} # v\d+\.\d+\.\d+$/);
  });

  it('reads the repository only, unless a job asks for more itself', () => {
    expect(workflow.permissions).toEqual({ contents: 'read' });
    for (const [name, job] of Object.entries(workflow.jobs)) {
      if (job.permissions?.['id-token'] === 'write') {
        // Only jobs that assume an AWS role get an OIDC token.
        expect(uses(job).some((u) => u.startsWith('aws-actions/configure-aws-credentials@'))).toBe(true);
      } else
        expect([name, job.permissions ?? {}]).toEqual([name, expect.not.objectContaining({ 'id-token': 'write' })]);
    }
  });

  it('runs npm ci and npm test (with the test tools) before anything touches AWS', () => {
    const test = workflow.jobs['test']!;
    expect(runs(test)).toMatch(/npm ci[\s\S]*npm test/);
    expect(runs(test)).toContain('scripts/install-test-tools.sh');
    expect(uses(test).some((u) => u.startsWith('hashicorp/setup-terraform@'))).toBe(true);
    const aws = Object.entries(workflow.jobs).filter(([, job]) =>
      uses(job).some((u) => u.startsWith('aws-actions/configure-aws-credentials@')),
    );
    expect(aws.length).toBeGreaterThan(0);
    for (const [, job] of aws) expect([job.needs].flat()).toContain('test');
  });

  it('never passes static AWS keys', () => {
    expect(text).not.toMatch(/aws-access-key-id|aws-secret-access-key|AWS_SECRET_ACCESS_KEY/);
  });
});

describe('plan.yml', () => {
  const { workflow } = load('plan.yml');
  const plan = workflow.jobs['plan']!;

  it('runs on pull requests to main', () => {
    expect(Object.keys(workflow.on)).toEqual(['pull_request']);
    expect(workflow.on['pull_request']).toEqual({ branches: ['main'] });
  });

  it('plans every environment envs/ defines, with a read-only role assumed through OIDC', () => {
    expect(plan.strategy?.matrix?.['env']).toEqual(ENVS);
    expect(plan.environment).toBe('${{ matrix.env }}-plan');
    expect(plan.permissions).toEqual({ contents: 'read', 'id-token': 'write', 'pull-requests': 'write' });
    const creds = plan.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds?.with?.['role-to-assume']).toBe('${{ vars.BYODKIM_PLAN_ROLE_ARN }}');
  });

  it('synthesizes, then terraform init and plan in the environment’s stack, in that order', () => {
    const order = ['npm ci', 'npm run synth', 'init -input=false', 'plan -input=false'];
    const script = runs(plan);
    let at = -1;
    for (const step of order) {
      const next = script.indexOf(step, at + 1);
      expect([step, next > at]).toEqual([step, true]);
      at = next;
    }
    expect(script).toContain('cdktf.out/stacks/byodkim-${{ matrix.env }}');
    expect(script).toContain('-lock=false');
  });

  it('posts each environment’s plan as one comment that later pushes update', () => {
    const post = plan.steps.find((s) => s.uses?.startsWith('actions/github-script@'));
    const script = String(post?.with?.['script']);
    expect(post?.env?.['BYODKIM_ENV']).toBe('${{ matrix.env }}');
    expect(script).toContain('byodkim-plan:${env}');
    expect(script).toContain('updateComment');
    expect(script).toContain('createComment');
    expect(script).toMatch(/limit = 60000/);
  });
});

describe('deploy.yml', () => {
  const { workflow } = load('deploy.yml');
  const deploy = workflow.jobs['deploy']!;

  it('deploys on pushes to main and by hand, choosing among the environments envs/ defines', () => {
    expect(workflow.on['push']).toEqual({ branches: ['main'] });
    const dispatch = workflow.on['workflow_dispatch'] as {
      inputs: { environment: { options: string[]; type: string } };
    };
    expect(dispatch.inputs.environment.type).toBe('choice');
    expect(dispatch.inputs.environment.options).toEqual(ENVS);
  });

  it('sends pushes to dev then stg only; prod goes through its GitHub environment (required reviewers)', () => {
    const matrix = String(deploy.strategy?.matrix?.['env']);
    expect(matrix).toContain(`'["dev","stg"]'`);
    expect(matrix).not.toMatch(/prod/);
    expect(deploy.strategy?.['max-parallel']).toBe(1);
    expect(deploy.environment).toBe('${{ matrix.env }}');
  });

  it('applies exactly the plan it saved', () => {
    const script = runs(deploy);
    expect(script).toMatch(/plan [^\n]*-out=tfplan/);
    expect(script).toMatch(/apply [^\n]*tfplan/);
    expect(script).not.toMatch(/-auto-approve/);
    const creds = deploy.steps.find((s) => s.uses?.startsWith('aws-actions/configure-aws-credentials@'));
    expect(creds?.with?.['role-to-assume']).toBe('${{ vars.BYODKIM_DEPLOY_ROLE_ARN }}');
  });
});
