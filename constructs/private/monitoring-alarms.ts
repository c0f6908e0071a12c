/**
 * The MonitoringSuite's alarms as data: what each watches, how it is evaluated, its severity and its
 * bilingual description (what is wrong, what to do next). Environment-wide aggregates only — one alarm per
 * condition whatever the number of domains; the monitor's alert on the same topic, the dashboard and Logs
 * Insights name the domains.
 *
 * The metric names come from `METRICS` (functions/core/contract.ts), never literals.
 */
import { METRICS, type MetricDefinition } from '../../functions/core/contract';

export type AlarmSeverity = 'CRITICAL' | 'WARNING';

/** The alarms, by the name of their threshold in the environment file (`monitoring.thresholds`). */
export const THRESHOLD_ALARMS = [
  'dkimUnhealthy',
  'recordProblems',
  'signingDrift',
  'keysOverInterval',
  'keysExpiringNoRotation',
  'dnsRequestsOverdue',
  'keyManagerSilent',
  'keyManagerErrors',
  'deadLetterMessages',
] as const;
export type ThresholdAlarm = (typeof THRESHOLD_ALARMS)[number];

/** Every alarm: the threshold alarms, the monitor's own errors and the two heartbeats. */
export const ALARMS = [...THRESHOLD_ALARMS, 'monitorErrors', 'keyManagerHeartbeat', 'monitorHeartbeat'] as const;
export type AlarmKey = (typeof ALARMS)[number];

export interface BilingualLine {
  readonly en: string;
  readonly ja: string;
}

/** How an alarm reads its data and when it fires. */
export interface AlarmText {
  /** After the alarm name prefix, e.g. `dkim-unhealthy` → `byodkim-prod-dkim-unhealthy`. */
  readonly suffix: string;
  readonly severity: AlarmSeverity;
  /** What is wrong (`{n}` is the threshold). */
  readonly problem: BilingualLine;
  /** What to do next. */
  readonly next: BilingualLine;
}

/** The monitor's count metric each domain-state alarm watches (environment scope, one data point per run). */
export const MONITOR_COUNT_METRICS: Readonly<
  Record<Exclude<ThresholdAlarm, 'keyManagerErrors' | 'deadLetterMessages'>, MetricDefinition>
> = {
  dkimUnhealthy: METRICS.domainsUnhealthy,
  recordProblems: METRICS.recordProblems,
  signingDrift: METRICS.signingDrift,
  keysOverInterval: METRICS.keysOverInterval,
  keysExpiringNoRotation: METRICS.keysExpiringNoRotation,
  dnsRequestsOverdue: METRICS.dnsRequestsOverdue,
  keyManagerSilent: METRICS.keyManagerSilent,
};

const STATUS_HINT: BilingualLine = {
  en: 'The monitor alert on this topic and the dashboard {dashboard} name the domains.',
  ja: '対象のドメインは、同じトピックに届くモニターの通知とダッシュボード {dashboard} で確認できます。',
};

export const ALARM_TEXTS: Readonly<Record<AlarmKey, AlarmText>> = {
  dkimUnhealthy: {
    suffix: 'dkim-unhealthy',
    severity: 'CRITICAL',
    problem: {
      en: 'DKIM is not healthy for {n} or more domains: SES is not signing with the recorded byodkim key (EXTERNAL, signing enabled, SUCCESS, the active selector).',
      ja: '{n} 件以上のドメインで DKIM が正常ではありません。SES が記録済みの byodkim 鍵で署名していません（EXTERNAL・署名有効・SUCCESS・有効なセレクタのいずれかが一致しません）。',
    },
    next: STATUS_HINT,
  },
  recordProblems: {
    suffix: 'dkim-record-problems',
    severity: 'CRITICAL',
    problem: {
      en: 'The active DKIM record is missing, truncated or not byte-exact (old key, wrong key length) on a DNS server for {n} or more domains: receivers may fail DKIM.',
      ja: '{n} 件以上のドメインで、有効な DKIM レコードが DNS サーバー上に存在しないか、途中で切れているか、登録した鍵と一致しません（古い鍵・鍵長の誤り）。受信側で DKIM 検証が失敗するおそれがあります。',
    },
    next: STATUS_HINT,
  },
  signingDrift: {
    suffix: 'dkim-signing-drift',
    severity: 'CRITICAL',
    problem: {
      en: 'SES signs with something other than the recorded key for {n} or more domains (for example switched back to Easy DKIM in the console).',
      ja: '{n} 件以上のドメインで、SES が記録済みの鍵以外で署名しています（コンソールで Easy DKIM に戻された場合など）。',
    },
    next: {
      en: 'Do not change SES by hand; the key manager repairs drift on its next run. The monitor alert names the domains.',
      ja: 'SES を手動で変更しないでください。鍵管理の次回実行で自動的に修復されます。対象ドメインはモニターの通知に記載されています。',
    },
  },
  keysOverInterval: {
    suffix: 'dkim-keys-over-interval',
    severity: 'WARNING',
    problem: {
      en: 'The active key of {n} or more domains is older than its rotation interval.',
      ja: '{n} 件以上のドメインで、有効な鍵がローテーション間隔を超えて使われています。',
    },
    next: {
      en: 'Check for an open DNS-team request or a rotation waiting for approval. The monitor alert names the domains.',
      ja: 'DNS チームへの依頼が未完了でないか、承認待ちのローテーションがないか確認してください。対象ドメインはモニターの通知に記載されています。',
    },
  },
  keysExpiringNoRotation: {
    suffix: 'dkim-keys-expiring',
    severity: 'WARNING',
    problem: {
      en: '{n} or more domains are within renewBefore of their key expiry and no rotation has started.',
      ja: '{n} 件以上のドメインで、鍵の有効期限まで renewBefore 日を切っていますが、ローテーションが始まっていません。',
    },
    next: STATUS_HINT,
  },
  dnsRequestsOverdue: {
    suffix: 'dkim-dns-requests-overdue',
    severity: 'WARNING',
    problem: {
      en: 'A DNS-team change request is open longer than its lead time for {n} or more domains.',
      ja: '{n} 件以上のドメインで、DNS チームへの変更依頼がリードタイムを過ぎても完了していません。',
    },
    next: {
      en: 'Contact the DNS team; the request (record name and value) is in the monitor alert and the audit trail.',
      ja: 'DNS チームに連絡してください。依頼内容（レコード名と値）はモニターの通知と監査ログにあります。',
    },
  },
  keyManagerSilent: {
    suffix: 'dkim-key-manager-silent',
    severity: 'WARNING',
    problem: {
      en: 'The key manager has not finished a run for {n} or more domains for longer than the silence threshold.',
      ja: '{n} 件以上のドメインで、鍵管理の処理がしきい値の時間を超えて完了していません。',
    },
    next: {
      en: 'Check the worker log group and the dead-letter queue.',
      ja: 'worker のロググループとデッドレターキューを確認してください。',
    },
  },
  keyManagerErrors: {
    suffix: 'dkim-key-manager-errors',
    severity: 'WARNING',
    problem: {
      en: 'The key manager failed {n} or more times in a monitor period (planner or worker Lambda errors, failed actions).',
      ja: '監視間隔の間に、鍵管理の処理が {n} 回以上失敗しました（planner・worker の Lambda エラー、失敗したアクション）。',
    },
    next: {
      en: 'Failed actions back off and retry; check the worker log group for the error.',
      ja: '失敗したアクションは間隔を空けて再実行されます。worker のロググループでエラー内容を確認してください。',
    },
  },
  deadLetterMessages: {
    suffix: 'dkim-dead-letters',
    severity: 'WARNING',
    problem: {
      en: '{n} or more work messages are in the dead-letter queue: those domains were not reconciled.',
      ja: 'デッドレターキューに {n} 件以上のメッセージがあります。該当ドメインの処理が行われていません。',
    },
    next: {
      en: 'Read the messages (domain) and the worker log, fix the cause, then redrive the queue.',
      ja: 'メッセージ（ドメイン）と worker のログを確認し、原因を取り除いてからキューを再処理（redrive）してください。',
    },
  },
  monitorErrors: {
    suffix: 'dkim-monitor-errors',
    severity: 'WARNING',
    problem: {
      en: 'The monitor or the monthly report Lambda failed.',
      ja: 'モニターまたは月次レポートの Lambda が失敗しました。',
    },
    next: {
      en: 'Check their log groups; until fixed, the health alarms see no new data.',
      ja: 'ロググループを確認してください。修正されるまで、健全性のアラームには新しいデータが届きません。',
    },
  },
  keyManagerHeartbeat: {
    suffix: 'dkim-key-manager-heartbeat',
    severity: 'CRITICAL',
    problem: {
      en: 'No key-manager run finished for any domain within the silence threshold: rotations have stopped.',
      ja: 'しきい値の時間内に、どのドメインでも鍵管理の処理が完了していません。ローテーションが停止しています。',
    },
    next: {
      en: 'Check the schedule, the planner and worker log groups and the dead-letter queue.',
      ja: 'スケジュール、planner・worker のロググループ、デッドレターキューを確認してください。',
    },
  },
  monitorHeartbeat: {
    suffix: 'dkim-monitor-heartbeat',
    severity: 'CRITICAL',
    problem: {
      en: 'The monitor has not finished a run: DKIM health is not being watched.',
      ja: 'モニターの実行が完了していません。DKIM の状態が監視されていません。',
    },
    next: {
      en: 'Check the monitor schedule and its log group.',
      ja: 'モニターのスケジュールとロググループを確認してください。',
    },
  },
};

/** The alarm's description: severity, environment, the problem and the next step, Japanese first or English first. */
export function alarmDescription(
  key: AlarmKey,
  options: { environment: string; threshold: number; dashboard: string; locale: 'ja' | 'en' },
): string {
  const text = ALARM_TEXTS[key];
  const fill = (line: string) =>
    line.replace(/\{n\}/g, String(options.threshold)).replace(/\{dashboard\}/g, options.dashboard);
  const en = `[${text.severity}] byodkim ${options.environment}: ${fill(text.problem.en)} ${fill(text.next.en)}`;
  const severityJa = text.severity === 'CRITICAL' ? '重大' : '警告';
  const ja = `【${severityJa}】byodkim ${options.environment}: ${fill(text.problem.ja)}${fill(text.next.ja)}`;
  return options.locale === 'ja' ? `${ja}\n${en}` : `${en}\n${ja}`;
}
