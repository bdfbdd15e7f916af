import { describe, expect, it } from 'vitest';
import { parseSqueue } from '../../src/engine/slurm-commands.js';
import type { SlurmJob } from '../../src/engine/slurm.js';
import { planSlurm } from '../../src/reconcile/slurm-plan.js';
import { archiveOf, convertCommand, imageFileName, prepareLines, runLine } from '../../src/reconcile/slurm-runtime.js';
import { jobFiles, type JobSpec } from '../../src/reconcile/slurm-script.js';

const spec = (over: Partial<JobSpec> = {}): JobSpec => ({
  project: 'nb',
  jobName: 'envctl-ws-abc123-nb',
  runDir: '/home/me/envctl/ws/jobs/nb',
  runtime: 'charliecloud',
  partition: 'gpu',
  account: 'lab',
  time: '2:00:00',
  gpus: 1,
  cpus: 4,
  memoryMb: 8192,
  services: [
    {
      name: 'notebook',
      image: '/home/me/envctl/ws/images/0123456789ab',
      env: [
        ['PATH', '/usr/local/bin:/usr/bin:/bin'],
        ['JUPYTER_TOKEN', 's3cret'],
      ],
      binds: [{ source: '/home/me/envctl/ws/projects/nb', target: '/work', readOnly: false }],
      workdir: '/work',
      argv: ['jupyter', 'lab', '--ip=0.0.0.0', '--port=$PORT', "--NotebookApp.x='y'"],
      restarts: true,
      ports: [{ key: 'nb/notebook/8888/tcp', container: 8888 }],
    },
  ],
  ...over,
});

describe("a project's batch script", () => {
  it('asks Slurm for what the project needs, and carries a hash of everything it runs in its comment', () => {
    const { script, hash } = jobFiles(spec());
    for (const line of [
      '#SBATCH --job-name=envctl-ws-abc123-nb',
      '#SBATCH --output=/home/me/envctl/ws/jobs/nb/%j.out',
      '#SBATCH --partition=gpu',
      '#SBATCH --account=lab',
      '#SBATCH --time=2:00:00',
      '#SBATCH --gres=gpu:1',
      '#SBATCH --cpus-per-task=4',
      '#SBATCH --mem=8192M',
      `#SBATCH --comment=envctl:${hash}`,
    ])
      expect(script.split('\n')).toContain(line);
    expect(script.startsWith('#!/bin/bash\n#SBATCH')).toBe(true);
    expect(jobFiles(spec({ gpus: 0, partition: undefined })).script).not.toMatch(/--gres|--partition/);
  });

  it('keeps the environment out of the script, in a file made for the user alone', () => {
    const files = jobFiles(spec());
    expect(files.script).not.toContain('s3cret');
    expect(files.script).toContain('umask 077');
    expect(files.envFiles).toEqual([
      {
        path: '/home/me/envctl/ws/jobs/nb/notebook.env',
        text: 'PATH=/usr/local/bin:/usr/bin:/bin\nJUPYTER_TOKEN=s3cret\n',
      },
    ]);
    // A changed secret is a changed job: it is submitted again.
    const changed = spec();
    changed.services = [{ ...changed.services[0]!, env: [['JUPYTER_TOKEN', 'other']] }];
    expect(jobFiles(changed).hash).not.toBe(files.hash);
    // Apptainer and enroot source the file: their values are shell words.
    const sourced = jobFiles(spec({ runtime: 'apptainer' })).envFiles[0]!.text;
    expect(sourced).toContain("JUPYTER_TOKEN='s3cret'");
  });

  it('picks a free port for a service that reads $PORT, and expands it in its arguments only', () => {
    const { script } = jobFiles(spec());
    expect(script).toContain('port_notebook_8888=$(pick 8888)');
    expect(script).toContain('"\\"nb/notebook/8888/tcp\\":$port_notebook_8888"');
    expect(script).toContain('PORT="$port_notebook_8888"; ENVCTL_PORT_8888="$port_notebook_8888";');
    expect(script).toContain('"--port=$PORT"');
    expect(script).toContain(`'--NotebookApp.x='\\''y'\\'''`);
    // Restarted while the job runs; its output in a file of its own.
    expect(script).toMatch(
      /\(.*while :; do ch-run .*; sleep 2; done\) >> "\$run\/\$SLURM_JOB_ID\.notebook\.log" 2>&1 &/,
    );
    expect(script).toContain('CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"');
  });

  it('writes, per service, the script envctl exec runs in the job: a command in the same container', () => {
    const [exec] = jobFiles(spec()).execFiles;
    expect(exec!.path).toBe('/home/me/envctl/ws/jobs/nb/notebook.exec');
    expect(exec!.text).toMatch(
      /^exec ch-run --unset-env='\*' --set-env='\/home\/me\/envctl\/ws\/jobs\/nb\/notebook\.env' /m,
    );
    expect(exec!.text).toContain(`-c '/work' '/home/me/envctl/ws/images/0123456789ab' -- "$@"`);
    expect(exec!.text).toContain('--set-env=CUDA_VISIBLE_DEVICES="${CUDA_VISIBLE_DEVICES:-}"');
    // enroot enters the job's own container again: it does not create it anew under the running service.
    const enroot = jobFiles(spec({ runtime: 'enroot' })).execFiles[0]!.text;
    expect(enroot).toContain('enroot start');
    expect(enroot).not.toContain('enroot create');
    expect(enroot).not.toContain('enroot remove');
  });

  it('needs the container port itself for a service that does not read $PORT, or ends saying why', () => {
    const fixed = spec();
    fixed.services = [{ ...fixed.services[0]!, argv: ['httpd', '-f', '-p', '8888'], restarts: false }];
    const { script } = jobFiles(fixed);
    expect(script).toContain("port_notebook_8888=$(need 8888 'notebook') || exit 3");
    expect(script).toContain("'httpd' '-f' '-p' '8888'");
    expect(script).not.toContain('while :');
  });
});

describe('the container runtimes', () => {
  it('converts from the archive each takes, beside the final name, into the format it runs', () => {
    expect([archiveOf('apptainer'), archiveOf('charliecloud'), archiveOf('enroot')]).toEqual([
      'save',
      'export',
      'export',
    ]);
    expect(imageFileName('apptainer', 'sha256:0123456789abcdef0123456789abcdef')).toBe('0123456789abcdef01234567.sif');
    expect(convertCommand('apptainer', '/s/i.tar', '/s/i.sif')).toBe(
      "rm -rf '/s/i.sif.partial' && apptainer build --force '/s/i.sif.partial' docker-archive:'/s/i.tar' && mv '/s/i.sif.partial' '/s/i.sif' && rm -f '/s/i.tar'",
    );
    expect(convertCommand('charliecloud', '/s/i.tar', '/s/i')).toContain(
      "ch-convert -i tar -o dir '/s/i.tar' '/s/i.partial'",
    );
    expect(convertCommand('enroot', '/s/i.tar', '/s/i.sqsh')).toContain(
      "mksquashfs '/s/i.sqsh.partial'.root '/s/i.sqsh.partial' -noappend -quiet",
    );
  });

  it('runs a service with only the environment envctl gives, its folders bound, its GPUs passed on', () => {
    const run = {
      name: 'web',
      image: '/s/img',
      envNames: ['A', 'PORT'],
      envFile: '/s/web.env',
      extraEnv: ['PORT="$p"'],
      binds: [{ source: '/s/projects/p', target: '/work', readOnly: true }],
      workdir: '/work',
      gpus: 1,
      argv: ["'sh'"],
    };
    expect(runLine('charliecloud', run)).toBe(
      "ch-run --unset-env='*' --set-env='/s/web.env' --set-env=PORT=\"$p\" -b '/s/projects/p:/work' -c '/work' '/s/img' -- 'sh'",
    );
    expect(runLine('apptainer', run)).toBe(
      "apptainer exec --cleanenv --env-file '/s/web.env' --env PORT=\"$p\" --bind '/s/projects/p:/work:ro' --pwd '/work' --nv '/s/img' 'sh'",
    );
    const enroot = runLine('enroot', run);
    expect(enroot).toContain('(set -a && . \'/s/web.env\' && PORT="$p" &&');
    expect(enroot).toContain(
      "enroot start --env A --env PORT --mount '/s/projects/p:/work:ro' \"envctl-$SLURM_JOB_ID-web\" 'sh'",
    );
    expect(enroot).not.toContain('A=');
    expect(prepareLines('charliecloud', run)).toEqual(["mkdir -p '/s/img/work'"]);
    expect(prepareLines('apptainer', run)).toEqual([]);
  });
});

const job = (over: Partial<SlurmJob>): SlurmJob => ({
  id: '1',
  name: 'envctl-ws-abc-nb',
  state: 'RUNNING',
  reason: undefined,
  node: 'c1',
  gpus: 0,
  comment: 'envctl:h1',
  ...over,
});

describe("squeue's rows", () => {
  it('are read into jobs: the reason a job waits, its node, the GPUs it was given', () => {
    const rows = [
      '12|envctl-ws-abc-nb|RUNNING|None|c1|gres:gpu:2|envctl:h1',
      '13|envctl-ws-abc-big|PENDING|Resources|(null)|gres/gpu:a100:4|envctl:h2',
      '9|envctl-ws-abc-old|CANCELLED by 0|None||N/A|',
      '',
    ].join('\n');
    expect(parseSqueue(rows)).toEqual([
      job({ id: '12', gpus: 2 }),
      job({
        id: '13',
        name: 'envctl-ws-abc-big',
        state: 'PENDING',
        reason: 'Resources',
        node: undefined,
        gpus: 4,
        comment: 'envctl:h2',
      }),
      job({ id: '9', name: 'envctl-ws-abc-old', state: 'CANCELLED', node: undefined, gpus: 0, comment: '' }),
    ]);
  });
});

describe('which-project as the jobs of a cluster', () => {
  const desired = [
    { project: 'nb', jobName: 'envctl-ws-abc-nb', hash: 'h1' },
    { project: 'train', jobName: 'envctl-ws-abc-train', hash: 'h2' },
    { project: 'short', jobName: 'envctl-ws-abc-short', hash: 'h3' },
  ];

  it('keeps a job of the same version, replaces one of another, resubmits one that ended, cancels one not listed', () => {
    const jobs = [
      job({ id: '1' }),
      job({ id: '2', name: 'envctl-ws-abc-train', comment: 'envctl:old' }),
      job({ id: '3', name: 'envctl-ws-abc-short', state: 'TIMEOUT', reason: 'TimeLimit', comment: 'envctl:h3' }),
      job({ id: '4', name: 'envctl-ws-abc-gone' }),
      job({ id: '5', name: 'envctl-other-xyz-nb' }),
    ];
    const plan = planSlurm(desired, jobs, 'envctl-ws-abc-');
    expect(plan.keep.map(({ running }) => running.id)).toEqual(['1']);
    expect(plan.submit.map(({ job: wanted, replacing, reason }) => [wanted.project, replacing?.id, reason])).toEqual([
      ['train', '2', 'what it runs changed'],
      ['short', undefined, 'its last job ended (ended by its time limit)'],
    ]);
    expect(plan.cancel.map(({ job: found, project }) => [found.id, project])).toEqual([['4', 'gone']]);
    const only = planSlurm(desired, jobs, 'envctl-ws-abc-', new Set(['nb']));
    expect([only.submit, only.cancel]).toEqual([[], []]);
  });
});
